// File: app/self_image.h
//
// The app's own executable file, so that the dev loop can tell when it was rebuilt. A rebuilt
// binary is a new file at the same path (Bazel replaces outputs), so the identity of the file at
// that path changes while /proc/self/exe still maps the old one.

#ifndef HOTCC_APP_SELF_IMAGE_H_
#define HOTCC_APP_SELF_IMAGE_H_

#include <sys/types.h>

#include <string>

namespace hotcc::demo {

class SelfImage {
 public:
  // Records the running executable's path and identity.
  SelfImage();

  // Whether the file at path() is no longer the one this process runs.
  bool Rebuilt() const;

  // The executable's path, as it was when the process started.
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  dev_t device_ = 0;
  ino_t inode_ = 0;
};

}  // namespace hotcc::demo

#endif  // HOTCC_APP_SELF_IMAGE_H_
