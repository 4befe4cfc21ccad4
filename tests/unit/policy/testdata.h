// A consistent (BootState, policy) pair for policy and appraisal tests: GoodState() judged by
// GoodPolicy() has no findings; tests change one thing and look for exactly its finding.
#ifndef BOOTGATE_TESTS_UNIT_POLICY_TESTDATA_H_
#define BOOTGATE_TESTS_UNIT_POLICY_TESTDATA_H_

#include <string>
#include <vector>

#include "bootgate/v1/policy.pb.h"
#include "verifier/bootstate/boot_state.h"
#include "verifier/crypto/hash.h"
#include "verifier/policy/evaluate.h"

namespace bootgate::policy::testing {

// 64-hex digests: `c` repeated ("aaaa..."), so messages are easy to read in failures.
std::string Hex64(char c);
crypto::Digest Bytes32(char c);  // the same digest as bytes

inline constexpr char kHost[] = "host-1";
inline constexpr char kGroup[] = "debian-12";
inline constexpr char kCmdline[] = "/boot/vmlinuz-6.1.0-18-amd64 root=UUID=3f7c ro quiet";

// Firmware blob 'b', PCR0 '0', PK 'a', KEK 'c', db 'd' (and the db authority), shim vendor
// authority 'e', dbx '1','2', shim '5' (event 20), grub '6' (event 22), kernel '7' (event 24),
// cmdline event 30; grub commands 31-37 with grub.cfg '4' (event 32) and initrd '3' (event 36).
bootstate::BootState GoodState();

// The textproto of a policy that allows exactly GoodState() for kHost in group kGroup,
// plus `extra` appended at the top level (exceptions, other groups).
std::string GoodPolicyText(const std::string& extra = "");
v1::Policy GoodPolicy(const std::string& extra = "");  // loaded and validated (REQUIREs)

// What GoodState() is evaluated with: host `host`, a safe clock, sha256 PCRs 0-9 quoted,
// 2026-01-01.
EvaluationContext Context(const std::string& host = kHost);

// "code-a,code-b": the codes of `findings`, for failure messages.
std::string Codes(const std::vector<appraisal::Finding>& findings);

// Evaluates and requires exactly one finding, which it returns.
appraisal::Finding Only(const bootstate::BootState& state, const v1::Policy& policy,
                        const EvaluationContext& context = Context());

}  // namespace bootgate::policy::testing

#endif  // BOOTGATE_TESTS_UNIT_POLICY_TESTDATA_H_
