// lookup_user() and become(): the drop to an unprivileged user is complete
// and irreversible.
#include "namespaces/identity.hpp"

#include <grp.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <string>
#include <vector>

#include "child_process.hpp"
#include "common/error.hpp"
#include "host_fixtures.hpp"

namespace cgspawn::ns {
namespace {

using testing::ChildChecks;
using testing::run_in_child;

TEST(Identity, LookupFindsNobody) {
  const Identity who = lookup_user("nobody");
  EXPECT_EQ(who.name, "nobody");
  EXPECT_NE(who.uid, 0u);
  EXPECT_FALSE(who.shell.empty());
}

TEST(Identity, UnknownUserIsBadRequest) {
  try {
    lookup_user("no-such-user-cgspawn");
    FAIL() << "lookup of a missing user succeeded";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::BadRequest);
    EXPECT_NE(std::string(e.what()).find(
                  "unknown user 'no-such-user-cgspawn': create it or pick an existing account"),
              std::string::npos)
        << e.what();
  }
  EXPECT_THROW(lookup_user(""), Error);
}

TEST(Identity, BecomeNobodyDropsAllIdsAndGroups) {
  CGSPAWN_SKIP_UNLESS_ROOT();
  const Identity who = lookup_user("nobody");
  // What nobody's groups are, computed in the (root) parent.
  int n = 64;
  std::vector<gid_t> expected(64);
  ASSERT_GE(::getgrouplist(who.name.c_str(), who.gid, expected.data(), &n), 0);
  expected.resize(static_cast<size_t>(n));
  std::sort(expected.begin(), expected.end());

  const auto r = run_in_child([&](ChildChecks& c) {
    become(who);
    uid_t ru, eu, su;
    gid_t rg, eg, sg;
    ::getresuid(&ru, &eu, &su);
    ::getresgid(&rg, &eg, &sg);
    c.expect(ru == who.uid && eu == who.uid && su == who.uid, "uids are not all nobody's");
    c.expect(rg == who.gid && eg == who.gid && sg == who.gid, "gids are not all nobody's");
    std::vector<gid_t> groups(static_cast<size_t>(::getgroups(0, nullptr)));
    ::getgroups(static_cast<int>(groups.size()), groups.data());
    std::sort(groups.begin(), groups.end());
    c.expect(groups == expected, "supplementary groups are not only nobody's");
    c.expect_errno(::setuid(0), EPERM, "setuid(0) after the drop");
    c.expect(testing::read_text("/proc/self/status").find("CapEff:\t0000000000000000") !=
                 std::string::npos,
             "capabilities remain");
  });
  EXPECT_TRUE(r.passed) << r.failures;
}

}  // namespace
}  // namespace cgspawn::ns
