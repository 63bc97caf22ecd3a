#include "cgroup/names.hpp"

#include <gtest/gtest.h>

#include <string>

#include "common/error.hpp"

namespace cg = cgspawn::cg;

TEST(UnitNames, AcceptsSystemdSpawnerStyleNames) {
  for (const char* ok : {"jupyter-alice-singleuser", "jupyter-bob-singleuser-server1", "a",
                         "user@example.org", "x_y.z", "A-1", "jupyter-memory.max"})
    EXPECT_NO_THROW(cg::validate_name(ok, "unit")) << ok;
  EXPECT_NO_THROW(cg::validate_name(std::string(200, 'a'), "unit"));
}

TEST(UnitNames, RejectsTraversalInterfaceFilesAndOddCharacters) {
  for (const char* bad : {"", ".", "..", "../etc", "a/b", "/abs", "a b", "a\nb", "a\tb", "x$y",
                          "cgroup.procs", "memory.max", "cpu.max", "pids.max", "io.weight",
                          "cgroup.kill", "hugetlb.2MB.max", "na\xc3\xafve"}) {
    try {
      cg::validate_name(bad, "unit");
      ADD_FAILURE() << "accepted '" << bad << "'";
    } catch (const cgspawn::Error& e) {
      EXPECT_EQ(e.kind(), cgspawn::ErrorKind::BadRequest);
      EXPECT_NE(std::string(e.what()).find("unit name"), std::string::npos) << e.what();
    }
  }
  EXPECT_THROW(cg::validate_name(std::string(201, 'a'), "unit"), cgspawn::Error);
  EXPECT_THROW(cg::validate_name(std::string("a\0b", 3), "unit"), cgspawn::Error);
}

TEST(UnitNames, PredicateMatchesValidation) {
  EXPECT_TRUE(cg::is_valid_name("hub"));
  EXPECT_FALSE(cg::is_valid_name("cgroup.events"));
  EXPECT_FALSE(cg::is_valid_name(".."));
}

// A name like "-x" could be created but not stopped without "--" (it reads
// as an option); irq.* and dmem.* are interface files of newer kernels.
TEST(UnitNames, RejectsLeadingDashAndNewerControllerFiles) {
  for (const char* bad : {"-x", "-", "--", "--help", "-rf", "irq.pressure", "dmem.max",
                          "dmem.capacity", "dmem.current"}) {
    for (const char* what : {"unit", "slice"}) {
      try {
        cg::validate_name(bad, what);
        ADD_FAILURE() << "accepted " << what << " '" << bad << "'";
      } catch (const cgspawn::Error& e) {
        EXPECT_NE(std::string(e.what()).find(std::string(what) + " name"), std::string::npos)
            << e.what();
      }
    }
  }
  for (const char* ok : {"x-", "a-b", "a--b", "irq", "dmem", "x.-y"})
    EXPECT_NO_THROW(cg::validate_name(ok, "unit")) << ok;
  EXPECT_TRUE(cg::is_interface_prefix("irq") && cg::is_interface_prefix("dmem"));
}
