# The one version of kix, for `kix --version`, the ingest cache's tag and
# the Debian package: the project version, and for any build that is not
# the tagged release v<version> itself, the UTC time and commit it was
# built from (0.1.0+git20261203.091500.2e3f11f, which Debian orders after
# 0.1.0 and by commit time).
#
# Sets KIX_VERSION and writes it to generated/cli/version.cc, which only
# changes (and recompiles) when the version does. CMake runs again when
# the checkout's HEAD moves.
set(KIX_VERSION ${PROJECT_VERSION})
find_package(Git QUIET)
if(GIT_FOUND AND EXISTS ${CMAKE_SOURCE_DIR}/.git)
  execute_process(
    COMMAND ${GIT_EXECUTABLE} -C ${CMAKE_SOURCE_DIR} describe --tags --exact-match
            --match v${PROJECT_VERSION} HEAD
    RESULT_VARIABLE kix_not_release OUTPUT_QUIET ERROR_QUIET)
  if(kix_not_release)
    # The commit time in UTC to the second, so snapshots sort in the order
    # they were committed (a hash alone would not).
    execute_process(
      COMMAND ${CMAKE_COMMAND} -E env TZ=UTC0 ${GIT_EXECUTABLE} -C ${CMAKE_SOURCE_DIR} log -1
              --format=%cd.%h --date=format-local:%Y%m%d.%H%M%S
      OUTPUT_VARIABLE kix_snapshot OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
    if(kix_snapshot)
      set(KIX_VERSION "${PROJECT_VERSION}+git${kix_snapshot}")
    endif()
  endif()
  # HEAD, the branch it names (a new commit moves the branch, not HEAD)
  # and packed-refs.
  execute_process(
    COMMAND ${GIT_EXECUTABLE} -C ${CMAKE_SOURCE_DIR} symbolic-ref -q HEAD
    OUTPUT_VARIABLE kix_branch OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
  foreach(kix_git_file HEAD packed-refs ${kix_branch})
    execute_process(
      COMMAND ${GIT_EXECUTABLE} -C ${CMAKE_SOURCE_DIR} rev-parse --path-format=absolute
              --git-path ${kix_git_file}
      OUTPUT_VARIABLE kix_git_path OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
    if(kix_git_path AND EXISTS ${kix_git_path})
      set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${kix_git_path})
    endif()
  endforeach()
endif()
configure_file(${CMAKE_SOURCE_DIR}/cli/version.cc.in ${CMAKE_BINARY_DIR}/generated/cli/version.cc
               @ONLY)
