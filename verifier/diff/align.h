// Content alignment of two sequences: what was added, removed or changed between an old
// sequence `a` and a new one `b`, matched by content and never by position, so that one
// inserted element does not make every later element look changed. Used for grub's commands
// (policy), stored attestations' events (history diff) and verdict findings (DryRun).
//
// The alignment keeps a longest common subsequence of equal elements (identical keys). In each
// gap between kept elements, a removed and an added element are reported as one change when
// the caller says they are the same kind of thing (`pairable`, e.g. the same grub command
// verb); the rest stay removed or added.
//
// Bounded: common prefix and suffix are matched in linear time; the rest is aligned by
// dynamic programming only while it has at most kMaxAlignCells cells (about a thousand by a
// thousand elements, 4 MiB of table), beyond which the whole middle is reported as one gap (still
// content ordered, still correct, just not minimal).
#ifndef BOOTGATE_VERIFIER_DIFF_ALIGN_H_
#define BOOTGATE_VERIFIER_DIFF_ALIGN_H_

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "absl/functional/function_ref.h"

namespace bootgate::diff {

enum class StepKind { kSame, kAdded, kRemoved, kChanged };

struct AlignStep {
  StepKind kind = StepKind::kSame;
  std::optional<size_t> a;  // index in the old sequence (absent for kAdded)
  std::optional<size_t> b;  // index in the new sequence (absent for kRemoved)
};

inline constexpr size_t kMaxAlignCells = size_t{1} << 20;

// Every element of `a` and `b` appears in exactly one step, in order of both sequences.
std::vector<AlignStep> Align(const std::vector<std::string>& a, const std::vector<std::string>& b,
                             absl::FunctionRef<bool(size_t, size_t)> pairable);

// As above, no element paired as changed: only kSame, kRemoved and kAdded.
std::vector<AlignStep> Align(const std::vector<std::string>& a, const std::vector<std::string>& b);

// The steps other than kSame.
std::vector<AlignStep> Differences(const std::vector<AlignStep>& steps);

}  // namespace bootgate::diff

#endif  // BOOTGATE_VERIFIER_DIFF_ALIGN_H_
