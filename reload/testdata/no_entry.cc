// A module without HOTCC_DEFINE_MODULE: it has no entry point to find.
int hotcc_fixture_unused(int x) { return x + 1; }
