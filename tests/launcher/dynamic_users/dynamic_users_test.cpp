// The dynamic-user store: uid range and name rules, and the allocator on a
// temporary state directory: stable, distinct under concurrent allocations
// (forked processes), never reused, clear of passwd/group entries, and a
// clear error when the range is exhausted. Homes need root (chown).
#include "launcher/dynamic_users/dynamic_users.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>
#include <sstream>

#include "common/error.hpp"
#include "common/files.hpp"
#include "tests/support/sandbox.hpp"

namespace fs = std::filesystem;
using cgspawn::DynamicUsers;
using cgspawn::Error;
using cgspawn::ErrorKind;
using cgspawn::UidRange;
using cgspawn::testing::TempDir;

namespace {

constexpr UidRange kRange{20000, 20099};

// A database where nothing holds any id: the allocator's own rules only.
std::optional<std::string> nobody_holds(uid_t) {
  return std::nullopt;
}

struct Store {
  TempDir tmp;
  std::string state = tmp.path() + "/state";
  [[nodiscard]] DynamicUsers users(cgspawn::IdHolder holder = nobody_holds) const {
    return DynamicUsers(state, std::move(holder));
  }
};

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

// Run BODY in N forked children at once; each returns its lines of output.
std::vector<std::string> in_children(int n, const std::function<std::string(int)>& body) {
  std::vector<std::pair<pid_t, int>> kids;
  int go[2];
  EXPECT_EQ(::pipe(go), 0);
  for (int i = 0; i < n; ++i) {
    int out[2];
    EXPECT_EQ(::pipe(out), 0);
    pid_t pid = ::fork();
    if (pid == 0) {
      ::close(out[0]);
      ::close(go[1]);
      char c;
      (void)::read(go[0], &c, 1);  // start together
      std::string text;
      try {
        text = body(i);
      } catch (const std::exception& e) {
        text = std::string("error: ") + e.what() + "\n";
      }
      (void)::write(out[1], text.data(), text.size());
      ::_exit(0);
    }
    ::close(out[1]);
    kids.emplace_back(pid, out[0]);
  }
  ::close(go[0]);
  ::close(go[1]);  // EOF releases every child at once
  std::vector<std::string> outputs;
  for (auto [pid, fd] : kids) {
    std::string text;
    char buf[4096];
    for (ssize_t r; (r = ::read(fd, buf, sizeof buf)) > 0;)
      text.append(buf, static_cast<size_t>(r));
    ::close(fd);
    int status = 0;
    ::waitpid(pid, &status, 0);
    outputs.push_back(text);
  }
  return outputs;
}

}  // namespace

TEST(UidRange, ParsesAndRefusesSystemAndSystemdRanges) {
  EXPECT_EQ(cgspawn::parse_uid_range("20000-29999").first, 20000u);
  EXPECT_EQ(cgspawn::parse_uid_range("20000-29999").last, 29999u);
  EXPECT_EQ(cgspawn::parse_uid_range("1000-1000").last, 1000u);
  EXPECT_EQ(cgspawn::parse_uid_range("65536-99999").first, 65536u);
  for (const char* bad :
       {"", "20000", "a-b", "20000-", "-20000", "30000-20000", "999-2000", "0-0", "60000-61184",
        "61184-61184", "65519-65600", "65534-65534", "1000-4294967295", " 20000-29999",
        "20000-29999x", "20000--29999", "+20000-29999", "20000-2147483647"}) {
    try {
      cgspawn::parse_uid_range(bad);
      ADD_FAILURE() << "accepted '" << bad << "'";
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::BadRequest) << e.what();
      EXPECT_NE(std::string(e.what()).find("--dynamic-user-range"), std::string::npos) << e.what();
    }
  }
  EXPECT_NE(error_of([] { cgspawn::parse_uid_range("60000-62000"); }).find("61184"),
            std::string::npos);
}

TEST(DynamicUserName, OnlyWhatPasswdCanHoldAndNeverAPath) {
  for (const char* ok : {"alice", "_x", "a.b-c_1", "Bob", "abcdefghijklmnopqrstuvwxyz012345"})
    EXPECT_NO_THROW(cgspawn::validate_dynamic_user_name(ok)) << ok;
  for (const char* bad : {"", "1abc", "-x", ".x", "..", "a:b", "a/b", "a\nb", "a b", "a\xc3\xa9",
                          "abcdefghijklmnopqrstuvwxyz0123456", "root:x:0:0"})
    EXPECT_THROW(cgspawn::validate_dynamic_user_name(bad), Error) << bad;
}

TEST(DynamicUsers, StableAcrossCallsAndInstancesDistinctAcrossNames) {
  Store s;
  const uid_t alice = s.users().allocate("alice", kRange);
  EXPECT_EQ(alice, kRange.first);
  EXPECT_EQ(s.users().allocate("alice", kRange), alice);
  const uid_t bob = s.users().allocate("bob", kRange);
  EXPECT_NE(bob, alice);
  EXPECT_TRUE(kRange.contains(bob));
  // A name keeps its uid when the range changes later: its files carry it.
  EXPECT_EQ(s.users().allocate("alice", UidRange{25000, 25009}), alice);
  EXPECT_EQ(s.users().allocate("carol", UidRange{25000, 25009}), 25000u);
  // The mapping is plain files: one per name, one per uid.
  EXPECT_EQ(cgspawn::read_file(s.state + "/dynamic-users/name/alice"),
            std::to_string(alice) + "\n");
  EXPECT_EQ(cgspawn::read_file(s.state + "/dynamic-users/uid/" + std::to_string(bob)), "bob\n");
  struct stat st {};
  ASSERT_EQ(::stat((s.state + "/dynamic-users").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0700u);
}

TEST(DynamicUsers, AUidIsNeverGivenToAnotherName) {
  Store s;
  const uid_t alice = s.users().allocate("alice", kRange);
  // Even if alice's name record is lost, her uid stays claimed.
  fs::remove(s.state + "/dynamic-users/name/alice");
  EXPECT_NE(s.users().allocate("bob", kRange), alice);
  EXPECT_NE(s.users().allocate("alice", kRange), alice);
}

TEST(DynamicUsers, SkipsIdsHeldByPasswdOrGroupEntries) {
  Store s;
  std::map<uid_t, std::string> held = {{20000, "passwd entry 'x'"}, {20001, "group entry 'g'"}};
  auto holder = [&](uid_t id) -> std::optional<std::string> {
    auto it = held.find(id);
    return it == held.end() ? std::nullopt : std::optional(it->second);
  };
  EXPECT_EQ(s.users(holder).allocate("alice", kRange), 20002u);
  // An entry that appears later with alice's uid is a collision to fix, not
  // a reason to move her: refuse, naming it.
  held[20002] = "passwd entry 'newcomer'";
  auto msg = error_of([&] { s.users(holder).allocate("alice", kRange); });
  EXPECT_NE(msg.find("newcomer"), std::string::npos) << msg;
}

TEST(DynamicUsers, SkipsRealNssEntries) {
  // nobody (65534) and nogroup are in every Debian passwd/group.
  ASSERT_TRUE(cgspawn::nss_id_holder(65534).has_value());
  EXPECT_FALSE(cgspawn::nss_id_holder(29999).has_value());
  Store s;
  DynamicUsers users(s.state);  // the real NSS check
  std::set<uid_t> got;
  for (const char* n : {"a1", "a2", "a3"}) {
    try {
      got.insert(users.allocate(n, UidRange{65532, 65534}));
    } catch (const Error&) {
      break;
    }
  }
  EXPECT_FALSE(got.contains(65534)) << "handed out nobody's uid";
  for (uid_t id : got) EXPECT_FALSE(cgspawn::nss_id_holder(id).has_value()) << id;
}

TEST(DynamicUsers, ExhaustedRangeIsOneClearLineAndRecordsNothing) {
  Store s;
  s.users().allocate("a", UidRange{20000, 20001});
  s.users().allocate("b", UidRange{20000, 20001});
  try {
    s.users().allocate("c", UidRange{20000, 20001});
    FAIL() << "allocated beyond the range";
  } catch (const Error& e) {
    const std::string msg = e.what();
    EXPECT_EQ(e.kind(), ErrorKind::System);
    EXPECT_NE(msg.find("20000-20001"), std::string::npos) << msg;
    EXPECT_NE(msg.find("--dynamic-user-range"), std::string::npos) << msg;
    EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
  }
  EXPECT_FALSE(fs::exists(s.state + "/dynamic-users/name/c"));
  EXPECT_EQ(s.users().allocate("a", UidRange{20000, 20001}), 20000u) << "existing names still work";
}

TEST(DynamicUsers, ConcurrentAllocationsOfDistinctNamesNeverShareAUid) {
  Store s;
  s.users().allocate("warmup", kRange);  // the state dir exists before the race
  auto outs = in_children(12, [&](int i) {
    return std::to_string(s.users().allocate("user" + std::to_string(i), kRange)) + "\n";
  });
  std::set<std::string> uids;
  for (const auto& o : outs) {
    EXPECT_EQ(o.find("error"), std::string::npos) << o;
    uids.insert(o);
  }
  EXPECT_EQ(uids.size(), 12u) << "two names got one uid";
}

// Several processes allocate the same names at once, in different orders:
// each name must come out with one uid, which every process agrees on.
TEST(DynamicUsers, ConcurrentAllocationsOfOneNameAgree) {
  Store s;
  constexpr int kNames = 12, kProcs = 8;
  auto outs = in_children(kProcs, [&](int p) {
    std::string text;
    DynamicUsers users = s.users();
    for (int k = 0; k < kNames; ++k) {
      const std::string name = "n" + std::to_string((k + p * 5) % kNames);
      text += name + " " + std::to_string(users.allocate(name, kRange)) + "\n";
    }
    return text;
  });
  std::map<std::string, std::set<std::string>> uids_of;
  for (const auto& o : outs) {
    EXPECT_EQ(o.find("error"), std::string::npos) << o;
    std::istringstream in(o);
    for (std::string name, uid; in >> name >> uid;) uids_of[name].insert(uid);
  }
  ASSERT_EQ(uids_of.size(), static_cast<size_t>(kNames));
  std::set<std::string> all;
  for (const auto& [name, uids] : uids_of) {
    EXPECT_EQ(uids.size(), 1u) << name << " got " << uids.size() << " different uids";
    all.insert(uids.begin(), uids.end());
  }
  EXPECT_EQ(all.size(), static_cast<size_t>(kNames));
  EXPECT_EQ(std::distance(fs::directory_iterator(s.state + "/dynamic-users/uid"),
                          fs::directory_iterator{}),
            kNames)
      << "uids were claimed and stranded by racing allocations";
}

TEST(DynamicUsers, DamagedMappingIsRefusedNotPatched) {
  Store s;
  s.users().allocate("alice", kRange);
  fs::remove(s.state + "/dynamic-users/uid/20000");
  auto msg = error_of([&] { s.users().allocate("alice", kRange); });
  EXPECT_NE(msg.find("damaged"), std::string::npos) << msg;
}

TEST(DynamicUsers, StateWritableByOthersIsRefused) {
  Store s;
  s.users().allocate("alice", kRange);
  ::chmod(s.state.c_str(), 0777);
  auto msg = error_of([&] { s.users().allocate("alice", kRange); });
  EXPECT_NE(msg.find("chmod go-w"), std::string::npos) << msg;
  ::chmod(s.state.c_str(), 0755);
  fs::remove_all(s.state + "/dynamic-users/name");
  fs::create_directory_symlink("/tmp", s.state + "/dynamic-users/name");
  msg = error_of([&] { s.users().allocate("alice", kRange); });
  EXPECT_NE(msg.find("symlink"), std::string::npos) << msg;
}

TEST(DynamicUsers, ProvisionCreatesAPrivateHomeOwnedByTheUid) {
  if (!cgspawn::testing::is_root()) GTEST_SKIP() << "needs root to chown the home";
  Store s;
  const uid_t uid = s.users().provision("alice", kRange);
  const std::string home = s.users().home_of("alice");
  EXPECT_EQ(home, s.state + "/home/alice");
  struct stat st {};
  ASSERT_EQ(::stat(home.c_str(), &st), 0);
  EXPECT_TRUE(S_ISDIR(st.st_mode));
  EXPECT_EQ(st.st_mode & 07777, 0700u);
  EXPECT_EQ(st.st_uid, uid);
  EXPECT_EQ(st.st_gid, uid);
  ASSERT_EQ(::stat((s.state + "/home").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0755u) << "homes must be reachable by their users";
  // Again: the same uid, the home left as it is (its files included).
  s.tmp.put("state/home/alice/notebook.ipynb", "{}");
  EXPECT_EQ(s.users().provision("alice", kRange), uid);
  EXPECT_EQ(s.tmp.get("state/home/alice/notebook.ipynb"), "{}");
}

TEST(DynamicUsers, ProvisionRefusesAHomeThatIsNotTheUsers) {
  if (!cgspawn::testing::is_root()) GTEST_SKIP() << "needs root to chown the home";
  Store s;
  const uid_t uid = s.users().provision("alice", kRange);
  const std::string home = s.users().home_of("alice");
  ASSERT_EQ(::chown(home.c_str(), 0, 0), 0);
  auto msg = error_of([&] { s.users().provision("alice", kRange); });
  EXPECT_NE(msg.find("not to the dynamic user's " + std::to_string(uid)), std::string::npos) << msg;
  fs::remove(home);
  fs::create_directory_symlink("/etc", home);  // a planted link must not be chowned
  msg = error_of([&] { s.users().provision("alice", kRange); });
  EXPECT_NE(msg.find("symlink"), std::string::npos) << msg;
  struct stat st {};
  ASSERT_EQ(::stat("/etc", &st), 0);
  EXPECT_EQ(st.st_uid, 0u);
}

// Issue 13, finding 8: the policy's uid bounds are checked before anything
// lasting, so a refused spawn leaves no home and no record.
TEST(DynamicUsers, AUidOutsideTheAllowedBoundsIsRefusedBeforeAnythingIsWritten) {
  Store s;
  const uid_t alice = s.users().allocate("alice", kRange);  // mapped earlier, no home yet
  const UidRange allowed{25000, 29999};
  for (const char* name : {"alice", "bob"}) {
    try {
      s.users().provision(name, kRange, allowed);
      ADD_FAILURE() << name << " was provisioned outside " << allowed.str();
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::Refused) << e.what();
      EXPECT_NE(std::string(e.what()).find("outside the allowed uid range 25000-29999"),
                std::string::npos)
          << e.what();
    }
    EXPECT_FALSE(fs::exists(s.state + "/home/" + name)) << "a refused spawn created the home";
  }
  EXPECT_FALSE(fs::exists(s.state + "/dynamic-users/name/bob")) << "the refusal recorded bob";
  std::set<std::string> uids;
  for (const auto& e : fs::directory_iterator(s.state + "/dynamic-users/uid"))
    uids.insert(e.path().filename());
  EXPECT_EQ(uids, std::set<std::string>{std::to_string(alice)});
  EXPECT_EQ(s.users().allocate("bob", kRange, UidRange{20000, 29999}), alice + 1)
      << "within the bounds it is allocated as ever";
}
