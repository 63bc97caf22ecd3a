// journald's native and stream protocols as cgspawn speaks them, against
// sockets of the test's own that read exactly what journald would: the
// encoding of a record (a value with a newline in the binary form), a
// record too large for a datagram passed as a sealed memfd, and a stream's
// header. The real journald reads them in the guest (test_lifecycle.py's
// test_journald).
#include "launcher/logging/journald.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <syslog.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "common/fd.hpp"
#include "tests/support/sandbox.hpp"

namespace {

namespace journald = cgspawn::journald;
using cgspawn::UniqueFd;

UniqueFd bound_socket(const std::string& path, int type) {
  UniqueFd s(::socket(AF_UNIX, type | SOCK_CLOEXEC, 0));
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
  EXPECT_EQ(::bind(s.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0) << path;
  return s;
}

// One datagram and the fd it carried, if any.
struct Datagram {
  std::string bytes;
  UniqueFd fd;
};

Datagram receive(int sock) {
  std::string buf(1 << 20, '\0');
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  iovec iov{buf.data(), buf.size()};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof(control);
  ssize_t n = ::recvmsg(sock, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
  EXPECT_GE(n, 0) << std::strerror(errno);
  Datagram d;
  d.bytes = buf.substr(0, n < 0 ? 0 : static_cast<size_t>(n));
  if (cmsghdr* c = CMSG_FIRSTHDR(&msg); c && c->cmsg_type == SCM_RIGHTS) {
    int fd = -1;
    std::memcpy(&fd, CMSG_DATA(c), sizeof(int));
    d.fd.reset(fd);
  }
  return d;
}

std::string read_all(int fd) {
  std::string out;
  char buf[65536];
  ssize_t n = 0;
  while ((n = ::pread(fd, buf, sizeof(buf), static_cast<off_t>(out.size()))) > 0)
    out.append(buf, static_cast<size_t>(n));
  return out;
}

TEST(Journald, EncodesPlainValuesAsNameEqualsValueLines) {
  EXPECT_EQ(journald::encode({{"MESSAGE", "hello"}, {"PRIORITY", "6"}}),
            "MESSAGE=hello\nPRIORITY=6\n");
}

TEST(Journald, EncodesAValueWithANewlineWithItsLittleEndianLength) {
  std::string expected = "MESSAGE\n";
  expected += std::string("\x07\0\0\0\0\0\0\0", 8);
  expected += "one\ntwo\nCGSPAWN_UNIT=u\n";
  EXPECT_EQ(journald::encode({{"MESSAGE", "one\ntwo"}, {"CGSPAWN_UNIT", "u"}}), expected);
}

TEST(Journald, SendsOneRecordAsOneDatagram) {
  cgspawn::testing::TempDir dir;
  const std::string path = dir.path() + "/socket";
  UniqueFd server = bound_socket(path, SOCK_DGRAM);
  ASSERT_EQ(journald::send({{"MESSAGE", "started\nfine"}, {"CGSPAWN_USER", "alice"}}, path.c_str()),
            0);
  Datagram d = receive(server.get());
  EXPECT_FALSE(d.fd.valid());
  EXPECT_EQ(d.bytes, journald::encode({{"MESSAGE", "started\nfine"}, {"CGSPAWN_USER", "alice"}}));
}

TEST(Journald, SendsARecordTooLargeForADatagramAsASealedMemfd) {
  cgspawn::testing::TempDir dir;
  const std::string path = dir.path() + "/socket";
  UniqueFd server = bound_socket(path, SOCK_DGRAM);
  int rcvbuf = 4 << 20;  // room for the fd's datagram, as journald's 8 MiB
  ::setsockopt(server.get(), SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
  const std::string big(1 << 20, 'x');  // over the default send buffer (208 KiB)
  ASSERT_EQ(journald::send({{"MESSAGE", big}}, path.c_str()), 0);
  Datagram d = receive(server.get());
  ASSERT_TRUE(d.fd.valid()) << "the record was not passed as an fd";
  EXPECT_TRUE(d.bytes.empty());
  int seals = ::fcntl(d.fd.get(), F_GET_SEALS);
  EXPECT_EQ(seals & (F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE),
            F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)
      << "journald accepts only a sealed memfd";
  EXPECT_EQ(read_all(d.fd.get()), journald::encode({{"MESSAGE", big}}));
}

TEST(Journald, SendWithoutJournaldSaysENOENT) {
  cgspawn::testing::TempDir dir;
  EXPECT_EQ(journald::send({{"MESSAGE", "x"}}, (dir.path() + "/none").c_str()), ENOENT);
}

TEST(Journald, AStreamStartsWithTheHeaderThenCarriesTheOutput) {
  cgspawn::testing::TempDir dir;
  const std::string path = dir.path() + "/stdout";
  UniqueFd listener = bound_socket(path, SOCK_STREAM);
  ASSERT_EQ(::listen(listener.get(), 1), 0);
  UniqueFd stream(journald::open_stream("jupyter-alice", LOG_INFO, true, path.c_str()));
  ASSERT_TRUE(stream.valid()) << std::strerror(-stream.get());
  EXPECT_TRUE(::fcntl(stream.get(), F_GETFD) & FD_CLOEXEC);
  ASSERT_EQ(::write(stream.get(), "hello\n", 6), 6);
  stream.reset();
  UniqueFd peer(::accept(listener.get(), nullptr, nullptr));
  std::string got;
  char buf[256];
  ssize_t n = 0;
  while ((n = ::read(peer.get(), buf, sizeof(buf))) > 0) got.append(buf, static_cast<size_t>(n));
  // identifier, unit id (empty), priority, level prefix, no forwarding to
  // syslog, kmsg or the console; then the server's lines.
  EXPECT_EQ(got, "jupyter-alice\n\n6\n1\n0\n0\n0\nhello\n");
}

TEST(Journald, AStreamRefusesAnIdentifierThatWouldBreakItsHeader) {
  cgspawn::testing::TempDir dir;
  const std::string path = dir.path() + "/stdout";
  UniqueFd listener = bound_socket(path, SOCK_STREAM);
  ASSERT_EQ(::listen(listener.get(), 1), 0);
  EXPECT_EQ(journald::open_stream("a\n3", LOG_INFO, true, path.c_str()), -EINVAL);
  EXPECT_EQ(journald::open_stream("a", 8, true, path.c_str()), -EINVAL);
  EXPECT_EQ(journald::open_stream("a", LOG_INFO, true, (dir.path() + "/none").c_str()), -ENOENT);
}

}  // namespace
