#include "verifier/bytes/reader.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace bootgate::bytes {
namespace {

template <typename T, bool kLittleEndian>
absl::StatusOr<T> ReadInt(Reader& reader, absl::string_view what) {
  auto bytes = reader.Bytes(sizeof(T), what);
  if (!bytes.ok()) return bytes.status();
  T value = 0;
  for (size_t i = 0; i < sizeof(T); ++i) {
    const size_t index = kLittleEndian ? sizeof(T) - 1 - i : i;
    value = static_cast<T>((value << 8) | (*bytes)[index]);
  }
  return value;
}

}  // namespace

absl::Status Reader::Need(size_t n, absl::string_view what) const {
  if (n > remaining()) {
    return Error(absl::StrFormat("truncated %s: need %u bytes, %u left", what, n, remaining()));
  }
  return absl::OkStatus();
}

absl::Status Reader::Error(absl::string_view message) const {
  return absl::InvalidArgumentError(absl::StrCat("offset ", offset(), ": ", message));
}

absl::StatusOr<uint8_t> Reader::U8(absl::string_view what) {
  return ReadInt<uint8_t, true>(*this, what);
}
absl::StatusOr<uint16_t> Reader::U16Le(absl::string_view what) {
  return ReadInt<uint16_t, true>(*this, what);
}
absl::StatusOr<uint32_t> Reader::U32Le(absl::string_view what) {
  return ReadInt<uint32_t, true>(*this, what);
}
absl::StatusOr<uint64_t> Reader::U64Le(absl::string_view what) {
  return ReadInt<uint64_t, true>(*this, what);
}
absl::StatusOr<uint16_t> Reader::U16Be(absl::string_view what) {
  return ReadInt<uint16_t, false>(*this, what);
}
absl::StatusOr<uint32_t> Reader::U32Be(absl::string_view what) {
  return ReadInt<uint32_t, false>(*this, what);
}

absl::StatusOr<ByteSpan> Reader::Bytes(size_t n, absl::string_view what) {
  if (absl::Status status = Need(n, what); !status.ok()) return status;
  ByteSpan out = data_.subspan(pos_, n);
  pos_ += n;
  return out;
}

absl::StatusOr<Reader> Reader::Sub(size_t n, absl::string_view what) {
  const size_t start = offset();
  auto bytes = Bytes(n, what);
  if (!bytes.ok()) return bytes.status();
  return Reader(*bytes, start);
}

absl::Status Reader::Skip(size_t n, absl::string_view what) { return Bytes(n, what).status(); }

ByteSpan Reader::Rest() {
  ByteSpan out = data_.subspan(pos_);
  pos_ = data_.size();
  return out;
}

absl::Status CheckCount(uint64_t count, uint64_t limit, absl::string_view what) {
  if (count > limit) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, " count ", count, " exceeds the limit of ", limit));
  }
  return absl::OkStatus();
}

}  // namespace bootgate::bytes
