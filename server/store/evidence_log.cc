#include "server/store/evidence_log.h"

#include <openssl/evp.h>
#include <zlib.h>

#include <mutex>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "verifier/bytes/status_macros.h"

namespace bootgate::server::store::internal {
namespace {

constexpr size_t kSha256Size = 32;
// Rows the migration reads at once: old rows hold whole logs (up to the request limit each).
constexpr int64_t kMigrationPage = 16;

constexpr char kInsertLog[] =
    "INSERT INTO evidence_logs (digest, codec, raw_size, data) VALUES ($1, $2, $3, $4)"
    " ON CONFLICT (digest) DO NOTHING";

std::string DigestText(std::string_view digest) {
  return absl::BytesToHexString(std::string(digest.substr(0, 8)));
}

absl::Status DataLoss(std::string_view digest, std::string_view why) {
  return absl::DataLossError(
      absl::StrCat("stored event log sha256 ", DigestText(digest), "…: ", std::string(why)));
}

absl::Status InsertLog(SqlConnection& conn, const EncodedLog& log, const std::string& compressed) {
  const SqlParam params[] = {Bytes{log.digest}, std::string(kCodecZlib), log.raw_size,
                             Bytes{compressed}};
  return conn.Query(kInsertLog, params).status();
}

}  // namespace

absl::StatusOr<std::string> LogDigest(std::string_view log) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  if (EVP_Digest(log.data(), log.size(), md, &size, EVP_sha256(), nullptr) != 1 ||
      size != kSha256Size) {
    return absl::InternalError("SHA-256 of an event log failed");
  }
  return std::string(reinterpret_cast<const char*>(md), size);
}

absl::StatusOr<std::string> CompressLog(std::string_view log) {
  uLongf size = compressBound(log.size());
  std::string out(size, '\0');
  const int rc =
      compress2(reinterpret_cast<Bytef*>(out.data()), &size,
                reinterpret_cast<const Bytef*>(log.data()), log.size(), Z_DEFAULT_COMPRESSION);
  if (rc != Z_OK) return absl::InternalError(absl::StrCat("zlib compress2 failed: ", rc));
  out.resize(size);
  out.shrink_to_fit();  // the batch holds it until its commit: the compressed size, not the bound
  return out;
}

absl::StatusOr<std::string> DecodeLog(std::string_view digest, std::string_view codec,
                                      int64_t raw_size, std::string_view data, int64_t max_size) {
  if (codec != kCodecZlib)
    return DataLoss(digest, absl::StrCat("unknown codec \"", std::string(codec), "\""));
  if (raw_size <= 0 || raw_size > max_size) {
    return DataLoss(digest, absl::StrCat("raw size ", raw_size, " is not within 1..", max_size,
                                         " (max_event_log_bytes)"));
  }
  std::string out(static_cast<size_t>(raw_size), '\0');
  uLongf size = out.size();
  const int rc = uncompress(reinterpret_cast<Bytef*>(out.data()), &size,
                            reinterpret_cast<const Bytef*>(data.data()), data.size());
  if (rc != Z_OK) {
    return DataLoss(digest,
                    absl::StrCat("zlib refuses it (", rc, ", ",
                                 rc == Z_BUF_ERROR ? "longer than its raw size" : "corrupt", ")"));
  }
  if (size != out.size()) {
    return DataLoss(digest, absl::StrCat("decompresses to ", size, " bytes, not ", raw_size));
  }
  ASSIGN_OR_RETURN(std::string actual, LogDigest(out));
  if (actual != digest) return DataLoss(digest, "its bytes do not hash to its key");
  return out;
}

namespace {

// The logs decoded lately, across queries and threads: a fleet's hosts send a few distinct logs
// over and over, and a policy push reads every host's. An entry is used only for the very
// inputs it was decoded from (digest, codec, raw size and compressed bytes, compared in full),
// so a hit returns exactly what DecodeLog would: a row whose stored bytes changed is decoded
// (and checked) again. Bounded by the bytes it holds (dropped whole when full).
class DecodedLogCache {
 public:
  static DecodedLogCache& Get() {
    static DecodedLogCache* const cache = new DecodedLogCache;
    return *cache;
  }

  absl::StatusOr<std::string> Decode(const std::string& digest, const std::string& codec,
                                     int64_t raw_size, const std::string& data, int64_t max_size) {
    if (raw_size > 0 && raw_size <= max_size) {
      std::lock_guard<std::mutex> lock(mu_);
      if (auto it = entries_.find(digest); it != entries_.end() && it->second.codec == codec &&
                                           it->second.raw_size == raw_size &&
                                           it->second.data == data) {
        return it->second.log;
      }
    }
    ASSIGN_OR_RETURN(std::string log, DecodeLog(digest, codec, raw_size, data, max_size));
    const size_t cost = digest.size() + codec.size() + data.size() + log.size();
    if (cost <= kMaxBytes / 4) {
      std::lock_guard<std::mutex> lock(mu_);
      if (bytes_ + cost > kMaxBytes) {
        entries_.clear();
        bytes_ = 0;
      }
      if (entries_.find(digest) == entries_.end()) {
        entries_.emplace(digest, Entry{codec, raw_size, data, log});
        bytes_ += cost;
      }
    }
    return log;
  }

 private:
  static constexpr size_t kMaxBytes = size_t{64} << 20;
  struct Entry {
    std::string codec;
    int64_t raw_size;
    std::string data;  // compressed, as stored
    std::string log;
  };
  std::mutex mu_;
  std::unordered_map<std::string, Entry> entries_;
  size_t bytes_ = 0;
};

}  // namespace

absl::StatusOr<std::string> LogDecoder::Log(const SqlRow& row, size_t first) {
  if (row.IsNull(first)) return std::string();
  const std::string& digest = row.Str(first);
  if (!last_digest_.empty() && digest == last_digest_) return last_log_;
  if (row.IsNull(first + 1)) return DataLoss(digest, "referenced but not stored");
  ASSIGN_OR_RETURN(last_log_,
                   DecodedLogCache::Get().Decode(digest, row.Str(first + 1), row.Int(first + 2),
                                                 row.Str(first + 3), max_size_));
  last_digest_ = digest;
  return last_log_;
}

absl::Status PutLog(SqlConnection& conn, const EncodedLog& log, std::string_view raw) {
  if (log.compressed.has_value()) return InsertLog(conn, log, *log.compressed);
  const SqlParam key[] = {Bytes{log.digest}};
  ASSIGN_OR_RETURN(std::vector<SqlRow> stored,
                   conn.Query("SELECT 1 FROM evidence_logs WHERE digest = $1", key));
  if (!stored.empty()) return absl::OkStatus();
  // Retention deleted it since the caller looked: compress it now.
  ASSIGN_OR_RETURN(std::string compressed, CompressLog(raw));
  return InsertLog(conn, log, compressed);
}

absl::StatusOr<int64_t> DeleteUnreferencedLogs(SqlConnection& conn) {
  ASSIGN_OR_RETURN(std::vector<SqlRow> deleted,
                   conn.Query("DELETE FROM evidence_logs WHERE NOT EXISTS (SELECT 1 FROM"
                              " attestations WHERE attestations.event_log_digest ="
                              " evidence_logs.digest) RETURNING digest",
                              {}));
  return static_cast<int64_t>(deleted.size());
}

absl::Status MoveEventLogsToEvidenceLogs(SqlConnection& conn) {
  std::set<std::string> stored;
  int64_t after_id = 0;
  for (;;) {
    const SqlParam page[] = {after_id, kMigrationPage};
    ASSIGN_OR_RETURN(std::vector<SqlRow> rows,
                     conn.Query("SELECT id, event_log FROM attestations WHERE id > $1"
                                " ORDER BY id LIMIT $2",
                                page));
    if (rows.empty()) break;
    for (const SqlRow& row : rows) {
      after_id = row.Int(0);
      const std::string& raw = row.Str(1);
      if (raw.empty()) continue;  // no log: event_log_digest stays NULL
      EncodedLog log;
      ASSIGN_OR_RETURN(log.digest, LogDigest(raw));
      log.raw_size = static_cast<int64_t>(raw.size());
      if (stored.insert(log.digest).second) {
        ASSIGN_OR_RETURN(log.compressed, CompressLog(raw));
        RETURN_IF_ERROR(PutLog(conn, log, raw));
      }
      const SqlParam link[] = {after_id, Bytes{log.digest}};
      RETURN_IF_ERROR(
          conn.Query("UPDATE attestations SET event_log_digest = $2 WHERE id = $1", link).status());
    }
  }
  return conn.Exec("ALTER TABLE attestations DROP COLUMN event_log");
}

}  // namespace bootgate::server::store::internal
