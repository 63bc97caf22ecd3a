// The fail-closed user database lookups (issue 13, finding 2): only "no
// error, no entry" is absent; every errno, including the ENOENT an
// unreachable LDAP/sssd source reports, is an error.
#include "common/nss.hpp"

#include <gtest/gtest.h>

#include <cerrno>

#include "common/error.hpp"

using cgspawn::Error;
using cgspawn::ErrorKind;

TEST(NssAnswer, OnlyNoErrorWithoutAResultIsAbsent) {
  EXPECT_TRUE(cgspawn::nss_answer(0, true, "x"));
  EXPECT_FALSE(cgspawn::nss_answer(0, false, "x"));
  for (int rc : {ENOENT, ESRCH, EBADF, EPERM, EAGAIN, EIO, ENOMEM, ERANGE, EINVAL}) {
    try {
      cgspawn::nss_answer(rc, false, "passwd entry for uid 20000");
      ADD_FAILURE() << "errno " << rc << " was taken for 'absent'";
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::System);
      EXPECT_EQ(e.err(), rc);
      const std::string msg = e.what();
      EXPECT_NE(msg.find("passwd entry for uid 20000"), std::string::npos) << msg;
      EXPECT_NE(msg.find("could not answer"), std::string::npos) << msg;
      EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
    }
  }
}

TEST(NssLookups, FindWhatFilesHoldAndNothingElse) {
  auto root = cgspawn::passwd_by_name("root");
  ASSERT_TRUE(root.has_value());
  EXPECT_EQ(root->uid, 0u);
  EXPECT_EQ(root->home, "/root");
  EXPECT_EQ(cgspawn::passwd_by_uid(0)->name, "root");
  EXPECT_EQ(cgspawn::group_by_gid(0)->name, "root");
  EXPECT_EQ(cgspawn::group_by_name("root")->gid, 0u);
  EXPECT_FALSE(cgspawn::passwd_by_name("cgspawn-no-such-user").has_value());
  EXPECT_FALSE(cgspawn::group_by_name("cgspawn-no-such-group").has_value());
  EXPECT_FALSE(cgspawn::passwd_by_uid(2147483000).has_value());
  EXPECT_FALSE(cgspawn::group_by_gid(2147483000).has_value());
}
