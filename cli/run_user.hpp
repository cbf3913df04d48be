#pragma once
// `tproc run -u USER[:GROUP]`, resolved here in the client as `docker run -u` resolves it, from
// /etc/passwd and /etc/group (docker reads the container's; tproc-cli, a static PIE, cannot load NSS
// modules: users known only to LDAP or sssd are given as UID:GID):
// - USER is a name (its passwd entry) or a number (that uid; its passwd entry if it has one);
// - without GROUP: the entry's primary group and every group that lists the user
//   (as getgrouplist); a uid without an entry gets gid 0 and no other group, as docker gives it;
// - with GROUP (a name, or a number): that group alone, as docker: no supplementary groups;
// - HOME becomes the entry's directory ("/" without one), as docker sets it; USER and LOGNAME
//   become the entry's name (dropped without one), as su sets them, since the caller's would
//   name root. `-e` still overrides all three.
// The daemon (space/operations/run.cpp) checks it runs as root; the program then has no
// capability and no_new_privs set, unless USER is root: root keeps the daemon's capabilities.

#include <string>
#include <vector>

#include "common/result.hpp"
#include "protocol/messages.hpp"

namespace tproc::cli {

/// A resolved -u: what goes on the wire and what the environment gets.
struct RunUserChoice {
  std::string spec;          ///< as given, for messages
  protocol::RunUser user;    ///< uid, gid, groups, capabilities
  std::vector<std::string> env;  ///< HOME=..., USER=..., LOGNAME=... (before the user's -e)
  std::vector<std::string> unset;  ///< variables the program must not get (USER, LOGNAME without an entry)
};

/// Resolves `spec` (USER, USER:GROUP); "-u SPEC: no such user" and the like otherwise.
Result<RunUserChoice> resolve_run_user(const std::string& spec);

}  // namespace tproc::cli
