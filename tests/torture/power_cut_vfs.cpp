// The SQLite VFS of qsanfwd_power_cut: the agent's own main() with every database and WAL write
// journalled (see power_cut_journal.hpp). It wraps the default VFS, registers itself as the
// default before main() runs, and changes nothing the agent sees: reads, locks and shared
// memory go straight through.
#include <fcntl.h>
#include <sqlite3.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "tests/torture/power_cut_journal.hpp"

namespace qsanfwd::torture::power_cut {
namespace {

void put_u64(std::string& out, std::uint64_t v) {
  char bytes[sizeof v];
  std::memcpy(bytes, &v, sizeof v);
  out.append(bytes, sizeof v);
}

class journal {
 public:
  explicit journal(const std::string& file) {
    std::ifstream in(file, std::ios::binary);
    const std::string before{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    fd_ = ::open((file + std::string(journal_suffix)).c_str(),
                 O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0600);
    std::string r(1, static_cast<char>(tag::base));
    put_u64(r, before.size());
    r += before;
    append(r);
  }

  void write(std::int64_t offset, const void* data, int size) {
    std::string r(1, static_cast<char>(tag::write));
    put_u64(r, static_cast<std::uint64_t>(offset));
    put_u64(r, static_cast<std::uint64_t>(size));
    r.append(static_cast<const char*>(data), static_cast<std::size_t>(size));
    append(r);
  }
  void truncate(std::int64_t size) {
    std::string r(1, static_cast<char>(tag::truncate));
    put_u64(r, static_cast<std::uint64_t>(size));
    append(r);
  }
  void synced() { append(std::string(1, static_cast<char>(tag::sync))); }

 private:
  // One write(2) per record where the kernel allows it; the test ignores a torn last record.
  void append(const std::string& r) {
    const std::lock_guard lock(mutex_);
    std::size_t done = 0;
    while (fd_ >= 0 && done < r.size()) {
      const auto n = ::write(fd_, r.data() + done, r.size() - done);
      if (n < 0 && errno == EINTR) {
        continue;
      }
      if (n <= 0) {
        ::_exit(70);  // a journal that misses a write would let the test pass on a lie
      }
      done += static_cast<std::size_t>(n);
    }
  }

  std::mutex mutex_;
  int fd_ = -1;
};

/// Journals live as long as the process: every connection's handle of a file shares one.
journal* journal_for(const char* file) {
  static std::mutex mutex;
  static std::map<std::string, std::unique_ptr<journal>> journals;
  const std::lock_guard lock(mutex);
  auto& j = journals[file];
  if (!j) {
    j = std::make_unique<journal>(file);
  }
  return j.get();
}

sqlite3_vfs* real_vfs = nullptr;

struct cut_file {
  sqlite3_file base;
  journal* j;  // null for files a power cut need not touch (temporary files)
  sqlite3_file* real() { return reinterpret_cast<sqlite3_file*>(this + 1); }
};

cut_file* as_cut(sqlite3_file* f) {
  return reinterpret_cast<cut_file*>(f);
}
sqlite3_file* real(sqlite3_file* f) {
  return as_cut(f)->real();
}
const sqlite3_io_methods& real_methods(sqlite3_file* f) {
  return *real(f)->pMethods;
}

int cut_write(sqlite3_file* f, const void* data, int size, sqlite3_int64 offset) {
  if (auto* j = as_cut(f)->j) {
    j->write(offset, data, size);
  }
  return real_methods(f).xWrite(real(f), data, size, offset);
}
int cut_truncate(sqlite3_file* f, sqlite3_int64 size) {
  if (auto* j = as_cut(f)->j) {
    j->truncate(size);
  }
  return real_methods(f).xTruncate(real(f), size);
}
int cut_sync(sqlite3_file* f, int flags) {
  const int rc = real_methods(f).xSync(real(f), flags);
  if (auto* j = as_cut(f)->j; j != nullptr && rc == SQLITE_OK) {
    j->synced();
  }
  return rc;
}

const sqlite3_io_methods cut_methods = {
    .iVersion = 3,
    .xClose = [](sqlite3_file* f) { return real_methods(f).xClose(real(f)); },
    .xRead = [](sqlite3_file* f, void* out, int n, sqlite3_int64 at) {
      return real_methods(f).xRead(real(f), out, n, at);
    },
    .xWrite = cut_write,
    .xTruncate = cut_truncate,
    .xSync = cut_sync,
    .xFileSize = [](sqlite3_file* f, sqlite3_int64* size) {
      return real_methods(f).xFileSize(real(f), size);
    },
    .xLock = [](sqlite3_file* f, int level) { return real_methods(f).xLock(real(f), level); },
    .xUnlock = [](sqlite3_file* f, int level) { return real_methods(f).xUnlock(real(f), level); },
    .xCheckReservedLock = [](sqlite3_file* f, int* out) {
      return real_methods(f).xCheckReservedLock(real(f), out);
    },
    .xFileControl = [](sqlite3_file* f, int op, void* arg) {
      return real_methods(f).xFileControl(real(f), op, arg);
    },
    .xSectorSize = [](sqlite3_file* f) { return real_methods(f).xSectorSize(real(f)); },
    .xDeviceCharacteristics = [](sqlite3_file* f) {
      return real_methods(f).xDeviceCharacteristics(real(f));
    },
    .xShmMap = [](sqlite3_file* f, int region, int size, int extend, void volatile** out) {
      return real_methods(f).xShmMap(real(f), region, size, extend, out);
    },
    .xShmLock = [](sqlite3_file* f, int offset, int n, int flags) {
      return real_methods(f).xShmLock(real(f), offset, n, flags);
    },
    .xShmBarrier = [](sqlite3_file* f) { real_methods(f).xShmBarrier(real(f)); },
    .xShmUnmap = [](sqlite3_file* f, int remove) {
      return real_methods(f).xShmUnmap(real(f), remove);
    },
    .xFetch = [](sqlite3_file* f, sqlite3_int64 at, int n, void** out) {
      return real_methods(f).xFetch(real(f), at, n, out);
    },
    .xUnfetch = [](sqlite3_file* f, sqlite3_int64 at, void* p) {
      return real_methods(f).xUnfetch(real(f), at, p);
    },
};

constexpr int journalled = SQLITE_OPEN_MAIN_DB | SQLITE_OPEN_WAL | SQLITE_OPEN_MAIN_JOURNAL;

int cut_open(sqlite3_vfs*, const char* name, sqlite3_file* f, int flags, int* out_flags) {
  auto* file = as_cut(f);
  file->base.pMethods = nullptr;
  file->j = name != nullptr && (flags & journalled) != 0 ? journal_for(name) : nullptr;
  const int rc = real_vfs->xOpen(real_vfs, name, file->real(), flags, out_flags);
  if (file->real()->pMethods != nullptr) {
    file->base.pMethods = &cut_methods;
  }
  return rc;
}

// A delete is a truncate no sync covers, unless SQLite asks for the directory to be synced
// after it: then the disk keeps it.
int cut_delete(sqlite3_vfs*, const char* name, int sync_dir) {
  auto* j = journal_for(name);
  j->truncate(0);
  const int rc = real_vfs->xDelete(real_vfs, name, sync_dir);
  if (rc == SQLITE_OK && sync_dir != 0) {
    j->synced();
  }
  return rc;
}

sqlite3_vfs cut_vfs;

bool install() {
  real_vfs = sqlite3_vfs_find(nullptr);
  cut_vfs = *real_vfs;
  cut_vfs.szOsFile = static_cast<int>(sizeof(cut_file)) + real_vfs->szOsFile;
  cut_vfs.zName = "power-cut";
  cut_vfs.pAppData = nullptr;
  cut_vfs.xOpen = cut_open;
  cut_vfs.xDelete = cut_delete;
  cut_vfs.xAccess = [](sqlite3_vfs*, const char* name, int flags, int* out) {
    return real_vfs->xAccess(real_vfs, name, flags, out);
  };
  cut_vfs.xFullPathname = [](sqlite3_vfs*, const char* name, int n, char* out) {
    return real_vfs->xFullPathname(real_vfs, name, n, out);
  };
  cut_vfs.xDlOpen = [](sqlite3_vfs*, const char* name) {
    return real_vfs->xDlOpen(real_vfs, name);
  };
  cut_vfs.xDlError = [](sqlite3_vfs*, int n, char* out) { real_vfs->xDlError(real_vfs, n, out); };
  cut_vfs.xDlSym = [](sqlite3_vfs*, void* handle, const char* symbol) {
    return real_vfs->xDlSym(real_vfs, handle, symbol);
  };
  cut_vfs.xDlClose = [](sqlite3_vfs*, void* handle) { real_vfs->xDlClose(real_vfs, handle); };
  cut_vfs.xRandomness = [](sqlite3_vfs*, int n, char* out) {
    return real_vfs->xRandomness(real_vfs, n, out);
  };
  cut_vfs.xSleep = [](sqlite3_vfs*, int us) { return real_vfs->xSleep(real_vfs, us); };
  cut_vfs.xCurrentTime = [](sqlite3_vfs*, double* out) {
    return real_vfs->xCurrentTime(real_vfs, out);
  };
  cut_vfs.xGetLastError = [](sqlite3_vfs*, int n, char* out) {
    return real_vfs->xGetLastError(real_vfs, n, out);
  };
  cut_vfs.xCurrentTimeInt64 = [](sqlite3_vfs*, sqlite3_int64* out) {
    return real_vfs->xCurrentTimeInt64(real_vfs, out);
  };
  // The system-call overrides are for SQLite's own tests; the agent never asks for them.
  cut_vfs.xSetSystemCall = nullptr;
  cut_vfs.xGetSystemCall = nullptr;
  cut_vfs.xNextSystemCall = nullptr;
  cut_vfs.iVersion = 2;
  return sqlite3_vfs_register(&cut_vfs, 1) == SQLITE_OK;
}

// Before main(): the agent opens its state database through whatever VFS is the default.
[[maybe_unused]] const bool installed = install();

}  // namespace
}  // namespace qsanfwd::torture::power_cut
