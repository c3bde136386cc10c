#include "app/self_image.h"

#include <stdlib.h>
#include <sys/stat.h>

namespace hotcc::demo {

SelfImage::SelfImage() {
  if (char* real = realpath("/proc/self/exe", nullptr)) {
    path_ = real;
    free(real);
  }
  struct stat st;
  if (!path_.empty() && stat(path_.c_str(), &st) == 0) {
    device_ = st.st_dev;
    inode_ = st.st_ino;
  }
}

bool SelfImage::Rebuilt() const {
  struct stat st;
  if (path_.empty() || stat(path_.c_str(), &st) != 0) return false;
  return st.st_dev != device_ || st.st_ino != inode_;
}

}  // namespace hotcc::demo
