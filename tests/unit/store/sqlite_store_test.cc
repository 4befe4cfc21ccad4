// SQLite-only behaviour: a damaged file is reported by CheckIntegrity instead of being served.
#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "server/store/store.h"

namespace bootgate::server::store {
namespace {

TEST_CASE("sqlite store reports a damaged database file", "[store][sqlite]") {
  std::string tmpl = (std::filesystem::temp_directory_path() / "bootgate-corrupt-XXXXXX").string();
  REQUIRE(mkdtemp(tmpl.data()) != nullptr);
  const std::filesystem::path db = std::filesystem::path(tmpl) / "bootgate.db";
  {
    auto store = OpenStore(absl::StrCat("sqlite://", db.string()));
    REQUIRE(store.ok());
    const std::string padding(200, 'x');  // enough rows to fill several pages
    for (int i = 0; i < 50; ++i) {
      Host h;
      h.host_id = absl::StrCat("host-", i, "-", padding);
      h.group = padding;
      REQUIRE((*store)->RegisterHost(h, false).ok());
    }
    REQUIRE((*store)->CheckIntegrity().ok());
  }
  // Closing the last connection checkpoints the WAL into the main file. Overwrite pages 4 to 6
  // (the hosts table and its indexes in schema version 1; page 1, the header and schema, stays
  // intact so that the file still opens).
  {
    std::fstream f(db, std::ios::in | std::ios::out | std::ios::binary);
    REQUIRE(f);
    f.seekp(4096 * 3);
    const std::string junk(4096 * 3, '\x5a');
    f.write(junk.data(), static_cast<std::streamsize>(junk.size()));
  }
  auto reopened = OpenStore(absl::StrCat("sqlite://", db.string()));
  if (reopened.ok()) {
    const absl::Status integrity = (*reopened)->CheckIntegrity();
    INFO(integrity.ToString());
    CHECK(absl::IsDataLoss(integrity));
  } else {
    INFO(reopened.status().ToString());
    CHECK(absl::IsDataLoss(reopened.status()));
  }
  if (std::getenv("KEEP") == nullptr) std::filesystem::remove_all(tmpl);
}

}  // namespace
}  // namespace bootgate::server::store
