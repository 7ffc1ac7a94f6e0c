#include "agent/app/progress_display.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <string>

namespace qsanfwd::app {
namespace {

/// What the display wrote to its terminal so far.
std::string written(std::FILE* f) {
  std::fflush(f);
  std::string out(static_cast<std::size_t>(std::ftell(f)), '\0');
  std::rewind(f);
  out.resize(std::fread(out.data(), 1, out.size(), f));
  std::fseek(f, 0, SEEK_END);  // the next write goes on from the end
  return out;
}

logs::progress drain(std::string device, std::int64_t read, std::int64_t total, bool done = false) {
  return {std::move(device), read, total, 0, done};
}

TEST(progress_display, several_drains_share_one_live_line_and_each_end_keeps_a_line) {
  std::FILE* f = std::tmpfile();
  ASSERT_NE(f, nullptr);
  progress_display display(f, true);
  display.update(drain("array-01", 100, 1000));
  EXPECT_EQ(written(f), "\r\033[Karray-01: reading the array's log: 100 of 1000 lines");
  // Within the same fifth of a second: kept, shown with the next line.
  display.update(drain("array-02", 50, 500));
  display.update(drain("array-03", 7, 70));
  display.update(drain("array-04", 9, 9, true));
  EXPECT_EQ(written(f),
            "\r\033[Karray-01: reading the array's log: 100 of 1000 lines"
            "\r\033[Karray-04: read the array's log: 9 of 9 lines\n"
            "\r\033[Kreading 3 arrays' logs: 157 of 1570 lines");
  display.update(drain("array-01", 1000, 1000, true));
  display.update(drain("array-02", 500, 500, true));
  display.update(drain("array-03", 70, 70, true));
  const auto all = written(f);
  EXPECT_NE(all.find("array-01: read the array's log: 1000 of 1000 lines\n"), std::string::npos);
  EXPECT_NE(all.find("\r\033[Karray-03: reading the array's log: 7 of 70 lines"),
            std::string::npos)
      << "the last drain under way has the live line to itself";
  EXPECT_TRUE(all.ends_with("array-03: read the array's log: 70 of 70 lines\n")) << all;
  std::fclose(f);
}

}  // namespace
}  // namespace qsanfwd::app
