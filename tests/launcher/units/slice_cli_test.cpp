// Slices through the cgspawn binary on this host (root): an idle slice goes
// with its last unit (stop, cleanup, a failed spawn), one with configured
// limits stays until `slice remove`; `list` groups units under slice headers.
// The limits themselves need controllers this host lacks: see tests/guest.
#include <gtest/gtest.h>
#include <sys/xattr.h>

#include "cgroup/layout.hpp"
#include "tests/launcher/cli/cli_fixture.hpp"

using cgspawn::testing::eventually;

namespace {

class SliceCli : public cgspawn::testing::CliSandbox {
 protected:
  std::string slice_path(const std::string& s) const { return users() + "/" + s; }
};

}  // namespace

TEST_F(SliceCli, ListGroupsBySliceAndTheLastStopRemovesAnIdleSlice) {
  for (const char* u : {"sl-a", "sl-b"}) {
    auto r = spawn(u, {"--user", "nobody", "--slice", "s"}, {"/bin/sleep", "60"});
    ASSERT_EQ(r.status, 0) << r.err;
  }
  ASSERT_EQ(spawn("sl-top", {"--user", "nobody"}, {"/bin/sleep", "60"}).status, 0);
  auto ls = cgspawn({"list"});
  EXPECT_EQ(ls.status, 0) << ls.err;
  const auto header = ls.out.find("\nslice s: no configured limits");
  ASSERT_NE(header, std::string::npos) << ls.out;
  EXPECT_LT(ls.out.find("\nsl-top "), header) << "units outside slices come first\n" << ls.out;
  EXPECT_GT(ls.out.find("\n  sl-a "), header) << ls.out;
  EXPECT_GT(ls.out.find("\n  sl-b "), header) << ls.out;
  auto js = cgspawn({"list", "--json"});
  EXPECT_NE(js.out.find(R"("slice":"s")"), std::string::npos) << js.out;
  auto show = cgspawn({"slice", "show", "s", "--json"});
  EXPECT_EQ(show.status, 0) << show.err;
  EXPECT_NE(show.out.find(R"("units":["sl-a","sl-b"])"), std::string::npos) << show.out;

  EXPECT_EQ(cgspawn({"stop", "sl-a"}).status, 0);
  EXPECT_TRUE(exists(slice_path("s"))) << "removed a slice that still holds sl-b";
  EXPECT_EQ(cgspawn({"stop", "sl-b"}).status, 0);
  EXPECT_FALSE(exists(slice_path("s"))) << "the idle slice outlived its last unit";
  EXPECT_EQ(cgspawn({"slice", "show", "s"}).status, 3);
  EXPECT_EQ(cgspawn({"stop", "sl-top"}).status, 0);
}

TEST_F(SliceCli, CleanupAndAFailedSpawnRemoveTheIdleSliceToo) {
  ASSERT_EQ(spawn("sl-exit", {"--user", "nobody", "--slice", "t"}, {"/bin/true"}).status, 0);
  ASSERT_TRUE(eventually([&] { return cgspawn({"status", "sl-exit"}).status == 3; }));
  EXPECT_TRUE(exists(slice_path("t")));
  EXPECT_EQ(cgspawn({"cleanup", "sl-exit"}).status, 0);
  EXPECT_FALSE(exists(slice_path("t")));
  auto r = spawn("sl-fail", {"--user", "nobody", "--slice", "u"}, {"/nonexistent/server"});
  EXPECT_EQ(r.status, 127) << r.err;
  EXPECT_FALSE(exists(slice_path("u"))) << "a failed spawn left its slice";
}

TEST_F(SliceCli, ConfiguredSliceStaysEmptyUntilRemoved) {
  ASSERT_EQ(spawn("sl-c", {"--user", "nobody", "--slice", "c"}, {"/bin/sleep", "60"}).status, 0);
  // What `slice set` records (its limit files need controllers this host lacks).
  const std::string rec = "memory.max=157286400\n";
  ASSERT_EQ(::setxattr(slice_path("c").c_str(), cgspawn::cg::kSliceLimitsXattr, rec.data(),
                       rec.size(), 0),
            0);
  EXPECT_NE(cgspawn({"list"}).out.find("slice c: memory.max=157286400"), std::string::npos);
  EXPECT_EQ(cgspawn({"slice", "remove", "c"}).status, 2) << "removed a slice with a unit";
  EXPECT_EQ(cgspawn({"stop", "sl-c"}).status, 0);
  EXPECT_TRUE(exists(slice_path("c"))) << "configured limits went with the last unit";
  auto show = cgspawn({"slice", "show", "--json"});
  EXPECT_NE(show.out.find(R"("configured":{"memory.max":"157286400"})"), std::string::npos)
      << show.out;
  EXPECT_NE(show.out.find(R"("state":"empty")"), std::string::npos) << show.out;
  EXPECT_EQ(cgspawn({"slice", "remove", "c"}).status, 0);
  EXPECT_FALSE(exists(slice_path("c")));
  EXPECT_EQ(cgspawn({"slice", "remove", "c"}).status, 0) << "remove is not idempotent";
}

TEST_F(SliceCli, SliceSetRefusesWhatItCannotEnforceAndLeavesNothing) {
  auto r = cgspawn({"slice", "set", "s", "--memory-max", "150M"});
  const bool has_memory = r.status == 0;
  if (!has_memory) {
    EXPECT_EQ(r.status, 1) << r.err;
    EXPECT_NE(r.err.find("memory controller is not enabled"), std::string::npos) << r.err;
    EXPECT_FALSE(exists(slice_path("s")));
  }
  for (const std::vector<std::string>& bad :
       {std::vector<std::string>{"slice", "set", "s"},
        std::vector<std::string>{"slice", "set", "s", "--memory-max", "lots"},
        std::vector<std::string>{"slice", "set", "../x", "--memory-max", "1G"},
        std::vector<std::string>{"slice", "set", "s", "--property", "cgroup.procs=1"}}) {
    auto b = cgspawn(bad);
    EXPECT_EQ(b.status, 2) << b.err;
    EXPECT_EQ(std::count(b.err.begin(), b.err.end(), '\n'), 1) << b.err;
  }
  if (!has_memory) {
    EXPECT_EQ(child_count(users()), 0u);
  }
}
