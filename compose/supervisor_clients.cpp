// The supervisor and its clients: `tproc up`, `tproc down` and `tproc compose restart` commands,
// progress lines to followers.

#include "compose/supervisor_loop.hpp"

#include <cstdio>
#include <ctime>
#include <string>

namespace tproc::compose {

void SupervisorLoop::say(const std::string& text) {
  char stamp[32];
  const time_t now = ::time(nullptr);
  std::strftime(stamp, sizeof(stamp), "%FT%TZ", std::gmtime(&now));
  std::fprintf(stderr, "%s %s\n", stamp, text.c_str());
  for (auto& client : clients_)
    if (!client->closed && (client->awaiting_settle || client->follow || client->awaiting_down))
      if (!client->link.send({"say", text})) client->closed = true;
}

void SupervisorLoop::announce(const Unit& unit, const Replica& replica) {
  for (auto& client : clients_)
    if (!client->closed && client->follow)
      if (!client->link.send({"tproc", unit.name(), std::to_string(replica.id), replica.name})) client->closed = true;
}

void SupervisorLoop::on_client(Client& client) {
  auto more = client.link.fill(false);
  while (auto command = client.link.next()) on_command(client, *command);
  if (!more || !*more) client.closed = true;
}

void SupervisorLoop::on_command(Client& client, const Record& command) {
  if (command[0] == "up") {
    client.follow = command.size() > 1 && command[1] == "follow";
    client.awaiting_settle = true;
    if (down_) {
      (void)client.link.send({"say", "the app is going down: run 'tproc up' again once it has stopped"});
      (void)client.link.send({"settled", "1"});
      client.closed = true;
      return;
    }
    auto spec = AppSpec::load(app_.spec());
    if (!spec) {
      (void)client.link.send({"say", "error: " + spec.error().describe()});
      (void)client.link.send({"settled", "1"});
      client.closed = true;
      return;
    }
    apply(std::move(*spec));
  } else if (command[0] == "restart") {
    client.follow = false;
    client.awaiting_settle = true;
    if (down_) {
      (void)client.link.send({"say", "the app is going down: nothing to restart"});
      (void)client.link.send({"settled", "1"});
      client.closed = true;
      return;
    }
    if (!restart(client, std::vector<std::string>(command.begin() + 1, command.end()))) {
      (void)client.link.send({"settled", "1"});
      client.closed = true;
    }
  } else if (command[0] == "down") {
    client.follow = false;
    client.awaiting_settle = false;
    client.awaiting_down = true;
    begin_down();
  } else {
    (void)client.link.send({"say", "unknown command '" + command[0] + "'"});
    client.closed = true;
  }
}

}  // namespace tproc::compose
