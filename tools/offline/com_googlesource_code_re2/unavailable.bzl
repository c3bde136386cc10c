"""A target that stands in for a library which is not available offline, and fails if used."""

def _unavailable_cc_library_impl(ctx):
    fail(("%s is an offline stand-in (tools/offline/README.md), not the real library: %s") %
         (ctx.label, ctx.attr.reason))

# Analysis fails as soon as any configuration selects this target, before anything is compiled
# or linked, so a build can never silently depend on it. `bazel query` never analyses targets,
# so it can follow the dependency and find nothing missing.
unavailable_cc_library = rule(
    implementation = _unavailable_cc_library_impl,
    attrs = {"reason": attr.string(mandatory = True)},
    provides = [CcInfo],
)
