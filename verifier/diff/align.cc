#include "verifier/diff/align.h"

#include <algorithm>
#include <cstdint>

namespace bootgate::diff {
namespace {

// Emits one gap: a[a_begin, a_end) removed and b[b_begin, b_end) added, pairing a removed
// element with the next added one of the same kind as a change.
void EmitGap(size_t a_begin, size_t a_end, size_t b_begin, size_t b_end,
             absl::FunctionRef<bool(size_t, size_t)> pairable, std::vector<AlignStep>& out) {
  size_t i = a_begin, j = b_begin;
  while (i < a_end || j < b_end) {
    if (i == a_end) {
      out.push_back({StepKind::kAdded, std::nullopt, j++});
      continue;
    }
    if (j == b_end) {
      out.push_back({StepKind::kRemoved, i++, std::nullopt});
      continue;
    }
    if (pairable(i, j)) {
      out.push_back({StepKind::kChanged, i++, j++});
      continue;
    }
    // Keep a[i] for a later added element of its kind, if any; otherwise it was removed.
    bool later = false;
    for (size_t k = j + 1; k < b_end && !later; ++k) later = pairable(i, k);
    if (later) {
      out.push_back({StepKind::kAdded, std::nullopt, j++});
    } else {
      out.push_back({StepKind::kRemoved, i++, std::nullopt});
    }
  }
}

}  // namespace

std::vector<AlignStep> Align(const std::vector<std::string>& a, const std::vector<std::string>& b,
                             absl::FunctionRef<bool(size_t, size_t)> pairable) {
  std::vector<AlignStep> out;
  out.reserve(std::max(a.size(), b.size()));
  size_t prefix = 0;
  while (prefix < a.size() && prefix < b.size() && a[prefix] == b[prefix]) ++prefix;
  size_t suffix = 0;
  while (suffix < a.size() - prefix && suffix < b.size() - prefix &&
         a[a.size() - 1 - suffix] == b[b.size() - 1 - suffix]) {
    ++suffix;
  }
  for (size_t k = 0; k < prefix; ++k) out.push_back({StepKind::kSame, k, k});
  const size_t n = a.size() - prefix - suffix, m = b.size() - prefix - suffix;
  if (n > 0 && m > 0 && (n + 1) * (m + 1) <= kMaxAlignCells) {
    // lcs[i][j]: longest common subsequence of the middles' suffixes from i and j.
    std::vector<uint32_t> lcs((n + 1) * (m + 1), 0);
    auto at = [&](size_t i, size_t j) -> uint32_t& { return lcs[i * (m + 1) + j]; };
    for (size_t i = n; i-- > 0;) {
      for (size_t j = m; j-- > 0;) {
        at(i, j) = a[prefix + i] == b[prefix + j] ? at(i + 1, j + 1) + 1
                                                  : std::max(at(i + 1, j), at(i, j + 1));
      }
    }
    size_t i = 0, j = 0, gap_i = 0, gap_j = 0;
    while (i < n && j < m) {
      if (a[prefix + i] == b[prefix + j]) {
        EmitGap(prefix + gap_i, prefix + i, prefix + gap_j, prefix + j, pairable, out);
        out.push_back({StepKind::kSame, prefix + i, prefix + j});
        gap_i = ++i;
        gap_j = ++j;
      } else if (at(i + 1, j) >= at(i, j + 1)) {
        ++i;
      } else {
        ++j;
      }
    }
    EmitGap(prefix + gap_i, prefix + n, prefix + gap_j, prefix + m, pairable, out);
  } else {
    EmitGap(prefix, prefix + n, prefix, prefix + m, pairable, out);
  }
  for (size_t k = suffix; k > 0; --k) {
    out.push_back({StepKind::kSame, a.size() - k, b.size() - k});
  }
  return out;
}

std::vector<AlignStep> Align(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  return Align(a, b, [](size_t, size_t) { return false; });
}

std::vector<AlignStep> Differences(const std::vector<AlignStep>& steps) {
  std::vector<AlignStep> out;
  for (const AlignStep& step : steps) {
    if (step.kind != StepKind::kSame) out.push_back(step);
  }
  return out;
}

}  // namespace bootgate::diff
