# The Debian package (scripts/package.sh): bin/kix, share/kix/{packages,
# schema}, versioned as kix --version reports (cmake/version.cmake).
#
# Depends: dpkg-shlibdeps finds the libraries kix links (SQLite, zstd,
# libfyaml, OpenSSL, libstdc++); libcurl and libarchive are loaded when a
# command first needs them (util/curl_library.h, util/archive_library.h),
# so they are named here. kubectl, helm and Graphviz are optional tools a
# command runs when asked to: Suggests.
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME kix)
set(CPACK_PACKAGE_VERSION ${KIX_VERSION})
set(CPACK_PACKAGE_VENDOR "kix")
set(CPACK_PACKAGE_CONTACT "kix developers <kix@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "verified, reproducible Kubernetes deployments from a content-addressed store")
set(CPACK_PACKAGE_DESCRIPTION
    "kix compiles short cluster definitions into Kubernetes manifests, keeps every resource in a content-addressed store, and diffs, deploys, rolls back and shares builds.")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION admin)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "libcurl4 (>= 7.88), libarchive13 (>= 3.6)")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "kubectl, helm, graphviz")
set(CPACK_STRIP_FILES ON)
include(CPack)
