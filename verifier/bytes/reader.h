// A bounded reader over untrusted bytes: the one way parsers in bootgate read input.
//
// Every read checks `n > remaining()` before touching memory, so no read can go past the
// end whatever the input says. Integers are read with an explicit byte order. Failures are
// absl::InvalidArgument errors that name the offset (relative to the start of the whole
// input, not of a sub-reader) and the field being read, e.g.
//   "offset 1234: truncated event data: need 40 bytes, 12 left".
// The reader borrows its span: the bytes must outlive the reader and every span it returns.
#ifndef BOOTGATE_VERIFIER_BYTES_READER_H_
#define BOOTGATE_VERIFIER_BYTES_READER_H_

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace bootgate::bytes {

using ByteSpan = std::span<const uint8_t>;

// The bytes of a string (protobuf `bytes` fields, file contents), without a copy.
inline ByteSpan AsBytes(absl::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

class Reader {
 public:
  // `base_offset` is added to offsets in error messages, so a sub-reader over part of a
  // log reports positions in the whole log.
  explicit Reader(ByteSpan data, size_t base_offset = 0) : data_(data), base_offset_(base_offset) {}

  size_t remaining() const { return data_.size() - pos_; }
  bool empty() const { return remaining() == 0; }
  // Offset of the next byte to read, in the coordinates of the whole input.
  size_t offset() const { return base_offset_ + pos_; }

  // `what` names the field for the error message.
  absl::StatusOr<uint8_t> U8(absl::string_view what);
  absl::StatusOr<uint16_t> U16Le(absl::string_view what);
  absl::StatusOr<uint32_t> U32Le(absl::string_view what);
  absl::StatusOr<uint64_t> U64Le(absl::string_view what);
  absl::StatusOr<uint16_t> U16Be(absl::string_view what);
  absl::StatusOr<uint32_t> U32Be(absl::string_view what);

  // Returns the next `n` bytes (borrowed from the input) and advances past them.
  absl::StatusOr<ByteSpan> Bytes(size_t n, absl::string_view what);
  // Returns a reader over the next `n` bytes and advances past them.
  absl::StatusOr<Reader> Sub(size_t n, absl::string_view what);
  absl::Status Skip(size_t n, absl::string_view what);
  // Returns everything left and advances to the end.
  ByteSpan Rest();

  // An InvalidArgument error at the current offset: "offset N: <message>".
  absl::Status Error(absl::string_view message) const;

 private:
  absl::Status Need(size_t n, absl::string_view what) const;

  ByteSpan data_;
  size_t base_offset_;
  size_t pos_ = 0;
};

// Returns InvalidArgument unless `count <= limit`; use before allocating for a count read
// from input. Message: "<what> count N exceeds the limit of L".
absl::Status CheckCount(uint64_t count, uint64_t limit, absl::string_view what);

}  // namespace bootgate::bytes

#endif  // BOOTGATE_VERIFIER_BYTES_READER_H_
