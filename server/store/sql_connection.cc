#include "server/store/sql_connection.h"

namespace bootgate::server::store::internal {

int64_t SqlRow::Int(size_t i) const {
  const auto* v = std::get_if<int64_t>(&cells_.at(i));
  return v == nullptr ? 0 : *v;
}

const std::string& SqlRow::Str(size_t i) const {
  static const std::string kEmpty;
  const auto* v = std::get_if<std::string>(&cells_.at(i));
  return v == nullptr ? kEmpty : *v;
}

}  // namespace bootgate::server::store::internal
