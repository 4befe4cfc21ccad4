// libFuzzer target: SplitKernelCmdline on any bytes (a kernel command line comes from the
// log, a policy rule from an operator). Checks what callers rely on, not only the absence of
// crashes: the split reads nothing past a NUL and invents no bytes (names and values together
// are no longer than the input); an argument is the same as itself, a list has no difference
// from itself; an argument whose name and value hold no double quote reads back from its
// canonical text as itself, alone.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "verifier/bootstate/kernel_cmdline.h"

namespace {

namespace bs = bootgate::bootstate;

void Require(bool condition) {
  if (!condition) std::abort();
}

bool HasQuote(const std::string& s) { return s.find('"') != std::string::npos; }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view input(reinterpret_cast<const char*>(data), size);
  const std::vector<bs::KernelArg> args = bs::SplitKernelCmdline(input);
  size_t bytes = 0;
  for (const bs::KernelArg& arg : args) {
    bytes += arg.name.size() + (arg.value.has_value() ? arg.value->size() : 0);
    Require(arg.name.find('\0') == std::string::npos);
    Require(bs::SameArg(arg, arg));
    if (HasQuote(arg.name) || (arg.value.has_value() && HasQuote(*arg.value))) continue;
    const std::vector<bs::KernelArg> again = bs::SplitKernelCmdline(arg.text);
    Require(again.size() == 1 && again[0].name == arg.name && again[0].value == arg.value &&
            again[0].text == arg.text);
  }
  Require(bytes <= input.substr(0, input.find('\0')).size());
  Require(bs::DiffKernelArgs(args, args).empty());
  return 0;
}
