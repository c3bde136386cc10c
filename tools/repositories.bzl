"""hotcc_dependencies: the external repositories that hotcc builds with, at hotcc's pins.

hotcc's own WORKSPACE calls it, and so does a workspace that uses hotcc as an external
repository (README.md, "Using hotcc in your own workspace"):

    local_repository(
        name = "hotcc_dep",                 # any name
        path = "third_party/hotcc",
    )

    load("@hotcc_dep//tools:repositories.bzl", "hotcc_dependencies")

    hotcc_dependencies()

Each repository is declared with `maybe`: one that the calling WORKSPACE declared earlier (its
own abseil, say) is kept, and hotcc builds with that one. The repositories are named as hotcc's
BUILD files name them (`@com_google_absl`, ...), so a consumer uses the same names.

The pins are upstream's archives, so WORKSPACE files stay valid on a machine that reaches
GitHub. The machines hotcc is built on reach only Debian's package archive: tools/setup.sh
fetches the same releases from there (checking the sha256 pins) and writes a .bazelrc.deps
that serves each repository from that local copy with --override_repository; with
`--workspace=DIR` it writes DIR/.bazelrc.deps for a consumer workspace.
"""

load("@bazel_tools//tools/build_defs/repo:http.bzl", "http_archive")
load("@bazel_tools//tools/build_defs/repo:utils.bzl", "maybe")

def hotcc_dependencies():
    """Declares abseil, GoogleTest, re2, bazel_skylib and platforms, unless declared already."""
    maybe(
        http_archive,
        name = "com_google_absl",
        sha256 = "91ac87d30cc6d79f9ab974c51874a704de9c2647c40f6932597329a282217ba8",
        strip_prefix = "abseil-cpp-20220623.1",
        urls = ["https://github.com/abseil/abseil-cpp/archive/refs/tags/20220623.1.tar.gz"],
    )

    maybe(
        http_archive,
        name = "com_google_googletest",
        sha256 = "81964fe578e9bd7c94dfdb09c8e4d6e6759e19967e397dbea48d1c10e45d0df2",
        strip_prefix = "googletest-release-1.12.1",
        urls = ["https://github.com/google/googletest/archive/refs/tags/release-1.12.1.tar.gz"],
    )

    # googletest's :gtest names re2 under --define=absl=1 (hotcc never sets it), and `bazel query
    # 'deps(...)'`, which ibazel runs, needs every repository a select names. The pin is the one
    # googletest 1.12.1's own WORKSPACE uses; offline, tools/offline/com_googlesource_code_re2
    # stands in for it and fails any build that selects it (hotcc's own WORKSPACE always uses
    # the stand-in, declared before this call).
    maybe(
        http_archive,
        name = "com_googlesource_code_re2",
        sha256 = "0a890c2aa0bb05b2ce906a15efb520d0f5ad4c7d37b8db959c43772802991887",
        strip_prefix = "re2-a427f10b9fb4622dd6d8643032600aa1b50fbd12",
        urls = ["https://github.com/google/re2/archive/a427f10b9fb4622dd6d8643032600aa1b50fbd12.zip"],
    )

    # abseil needs both, and tools/BUILD.bazel loads bazel_skylib; Bazel 4.2.3's own WORKSPACE
    # suffix declares neither bazel_skylib nor a platforms with what abseil names
    # (@platforms//cpu:wasm32). The pins are those of abseil 20220623.1's and googletest
    # 1.12.1's own WORKSPACE files (the same in both). Offline, tools/setup.sh serves Debian's
    # bazel-skylib 1.0.3 and bazel-platforms 0.0.2 instead, which hotcc is tested with.
    maybe(
        http_archive,
        name = "bazel_skylib",
        sha256 = "f7be3474d42aae265405a592bb7da8e171919d74c16f082a5457840f06054728",
        urls = ["https://github.com/bazelbuild/bazel-skylib/releases/download/1.2.1/bazel-skylib-1.2.1.tar.gz"],
    )

    maybe(
        http_archive,
        name = "platforms",
        sha256 = "a879ea428c6d56ab0ec18224f976515948822451473a80d06c2e50af0bbe5121",
        strip_prefix = "platforms-da5541f26b7de1dc8e04c075c99df5351742a4a2",
        urls = ["https://github.com/bazelbuild/platforms/archive/da5541f26b7de1dc8e04c075c99df5351742a4a2.zip"],
    )
