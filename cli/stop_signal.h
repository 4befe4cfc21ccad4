// SIGINT and SIGTERM as a request to stop, for the commands that run until interrupted
// (`attest --watch`, `placement watch`): they poll StopRequested() and finish cleanly.
#ifndef BOOTGATE_CLI_STOP_SIGNAL_H_
#define BOOTGATE_CLI_STOP_SIGNAL_H_

namespace bootgate::cli {

// Installs the handlers; from then on, SIGINT or SIGTERM sets the flag instead of killing.
void CatchStopSignals();

// True once SIGINT or SIGTERM arrived after CatchStopSignals().
bool StopRequested();

}  // namespace bootgate::cli

#endif  // BOOTGATE_CLI_STOP_SIGNAL_H_
