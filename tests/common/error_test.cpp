#include "common/error.hpp"

#include <gtest/gtest.h>

#include <cerrno>

#include "common/files.hpp"
#include "tests/support/sandbox.hpp"

using cgspawn::Error;
using cgspawn::ErrorKind;

TEST(Error, MessageNamesStepObjectAndErrno) {
  try {
    cgspawn::throw_system("write limit", "/sys/fs/cgroup/x/memory.max", EACCES, "value '1'");
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(),
                 "write limit: /sys/fs/cgroup/x/memory.max: Permission denied (value '1')");
    EXPECT_EQ(e.kind(), ErrorKind::System);
    EXPECT_EQ(e.err(), EACCES);
  }
  try {
    cgspawn::throw_bad_request("parse --cpu-max", "use a number");
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "parse --cpu-max: use a number");
    EXPECT_EQ(e.kind(), ErrorKind::BadRequest);
  }
}

TEST(Error, ExitStatusesAreDistinct) {
  EXPECT_EQ(cgspawn::exit_status(ErrorKind::System), 1);
  EXPECT_EQ(cgspawn::exit_status(ErrorKind::BadRequest), 2);
  EXPECT_EQ(cgspawn::exit_status(ErrorKind::ExecFailed), 126);
  EXPECT_EQ(cgspawn::exit_status(ErrorKind::NotFound), 127);
}

TEST(Files, ReadWriteAndErrorsNameThePath) {
  cgspawn::testing::TempDir t;
  t.put("f", "");
  auto dir = cgspawn::open_dir(t.path());
  cgspawn::write_file_at(dir.get(), "f", "hello\n", t.path());
  EXPECT_EQ(cgspawn::read_file(t.path() + "/f"), "hello\n");
  EXPECT_EQ(cgspawn::trim("  x y \n"), "x y");
  EXPECT_TRUE(cgspawn::is_dir(t.path()));
  EXPECT_FALSE(cgspawn::is_dir(t.path() + "/f"));
  EXPECT_FALSE(cgspawn::is_dir(t.path() + "/missing"));
  EXPECT_EQ(cgspawn::mode_string(040755), "0755");
  EXPECT_EQ(cgspawn::mode_string(0104711), "4711");
  try {
    cgspawn::write_file_at(dir.get(), "missing", "x", t.path());  // never creates files
    ADD_FAILURE();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(t.path() + "/missing"), std::string::npos);
    EXPECT_EQ(e.err(), ENOENT);
  }
}
