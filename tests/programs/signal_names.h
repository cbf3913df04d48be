// Signal names <-> numbers for the test programs ("INT", "SIGINT" and "2" all mean SIGINT).
#pragma once

#include <signal.h>
#include <stdlib.h>
#include <string.h>

struct SignalName {
  int number;
  const char* name;
};

static const struct SignalName kSignalNames[] = {
    {SIGHUP, "HUP"},   {SIGINT, "INT"},   {SIGQUIT, "QUIT"},   {SIGUSR1, "USR1"},
    {SIGUSR2, "USR2"}, {SIGPIPE, "PIPE"}, {SIGALRM, "ALRM"},   {SIGTERM, "TERM"},
    {SIGCHLD, "CHLD"}, {SIGCONT, "CONT"}, {SIGTSTP, "TSTP"},   {SIGTTIN, "TTIN"},
    {SIGTTOU, "TTOU"}, {SIGURG, "URG"},   {SIGWINCH, "WINCH"},
};

/// The number of a signal given as "INT", "SIGINT" or "2"; 0 when unknown.
static inline int signal_from_name(const char* text) {
  if (strncmp(text, "SIG", 3) == 0) text += 3;
  for (size_t i = 0; i < sizeof kSignalNames / sizeof kSignalNames[0]; ++i)
    if (strcmp(text, kSignalNames[i].name) == 0) return kSignalNames[i].number;
  char* end = NULL;
  long number = strtol(text, &end, 10);
  return (*text != '\0' && *end == '\0' && number > 0 && number < NSIG) ? (int)number : 0;
}

/// "INT" for SIGINT; "?" when the table does not know the signal.
static inline const char* signal_short_name(int number) {
  for (size_t i = 0; i < sizeof kSignalNames / sizeof kSignalNames[0]; ++i)
    if (kSignalNames[i].number == number) return kSignalNames[i].name;
  return "?";
}
