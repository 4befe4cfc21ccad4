#include "verifier/appraisal/finding.h"

namespace bootgate::appraisal {

absl::string_view LayerName(Layer layer) {
  switch (layer) {
    case Layer::kEvidence:
      return "evidence";
    case Layer::kEventLog:
      return "event-log";
    case Layer::kFirmware:
      return "firmware";
    case Layer::kSecureBoot:
      return "secure-boot";
    case Layer::kBootLoader:
      return "boot-loader";
    case Layer::kKernel:
      return "kernel";
    case Layer::kPolicy:
      return "policy";
  }
  return "unknown";
}

absl::string_view SeverityName(Severity severity) {
  switch (severity) {
    case Severity::kContraindicated:
      return "contraindicated";
    case Severity::kWarning:
      return "warning";
    case Severity::kInfo:
      return "info";
  }
  return "unknown";
}

}  // namespace bootgate::appraisal
