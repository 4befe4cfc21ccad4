// `bootgate enroll HOST_ID`: the host agent's enrollment (proto/bootgate/v1/enrollment.proto).
// Proves to bootgated that this host's AK lives in a genuine TPM: sends the EK certificate,
// the EK and the AK public areas (Enrollment.Start), answers the server's credential with
// TPM2_ActivateCredential (Enrollment.Finish), and prints the enrolled host.
#ifndef BOOTGATE_CLI_ENROLL_COMMAND_H_
#define BOOTGATE_CLI_ENROLL_COMMAND_H_

#include <CLI/CLI.hpp>

namespace bootgate::cli {

// Registers "enroll" on `app`. Exit code: 0 enrolled; 1 refused by the server
// (PERMISSION_DENIED: the EK/AK certificate does not chain to a trusted CA, a wrong secret, a
// caller that may not enroll this host; FAILED_PRECONDITION: the host is bound to another TPM
// or revoked); 2 bad input, TPM errors and other server errors.
void AddEnrollCommand(CLI::App& app, int& exit_code);

}  // namespace bootgate::cli

#endif  // BOOTGATE_CLI_ENROLL_COMMAND_H_
