# One interface target carries our warnings and sanitizer flags; every target of ours links it.
add_library(qsanfwd_options INTERFACE)
target_compile_options(qsanfwd_options INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wsign-conversion -Wnon-virtual-dtor
  -Wold-style-cast -Wcast-align -Woverloaded-virtual -Wimplicit-fallthrough)
if(QSANFWD_WERROR)
  target_compile_options(qsanfwd_options INTERFACE -Werror)
endif()
# Asio's coroutine frames trip false positives of GCC 12 inside its own headers:
# -Wmaybe-uninitialized, -Wmismatched-new-delete (its frame operator delete), -Wnull-dereference
# (left out above).
target_compile_options(qsanfwd_options INTERFACE -Wno-maybe-uninitialized -Wno-mismatched-new-delete)
# A unity build (the presets' CMAKE_UNITY_BUILD) includes our .cpp files into one another, and
# GCC then takes a type of one file's anonymous namespace used by a class of a header, such as a
# coroutine frame, for a header's mistake.
if(CMAKE_UNITY_BUILD AND CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
  target_compile_options(qsanfwd_options INTERFACE -Wno-subobject-linkage)
endif()
# Clang (the fuzz build) does not know those two GCC options; it only needs to skip them.
if(CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
  target_compile_options(qsanfwd_options INTERFACE -Wno-unknown-warning-option)
endif()
# At -O3 (Release) GCC 12 also reports -Wrestrict inside std::string's operator+ (GCC bug 105329)
# and -Wfree-nonheap-object on coroutine frames; both are fixed in GCC 13.
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
  target_compile_options(qsanfwd_options INTERFACE
    $<$<CONFIG:Release>:-Wno-restrict -Wno-free-nonheap-object>)
endif()
# lld links our programs about four times quicker than GNU ld (the 60 MB agent: 4.6 s -> 1.1 s),
# a minute or more of every full build; GNU ld where lld is missing.
include(CheckLinkerFlag)
check_linker_flag(CXX -fuse-ld=lld QSANFWD_HAVE_LLD)
if(QSANFWD_HAVE_LLD)
  target_link_options(qsanfwd_options INTERFACE -fuse-ld=lld)
endif()
target_compile_definitions(qsanfwd_options INTERFACE
  BOOST_ASIO_NO_DEPRECATED SPDLOG_FMT_EXTERNAL)
if(QSANFWD_SANITIZE)
  target_compile_options(qsanfwd_options INTERFACE
    -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer)
  target_link_options(qsanfwd_options INTERFACE -fsanitize=address,undefined)
endif()
if(QSANFWD_SANITIZE_THREAD)
  if(QSANFWD_SANITIZE)
    message(FATAL_ERROR "QSANFWD_SANITIZE_THREAD and QSANFWD_SANITIZE cannot be combined")
  endif()
  # GCC warns that TSan does not model std::atomic_thread_fence, which Asio's headers use;
  # our own code has none.
  target_compile_options(qsanfwd_options INTERFACE
    -fsanitize=thread -fno-omit-frame-pointer -Wno-tsan)
  target_link_options(qsanfwd_options INTERFACE -fsanitize=thread)
endif()

# Helper: a library of ours with the project's flags and include root.
function(qsanfwd_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;PUBLIC;PRIVATE" ${ARGN})
  add_library(${name} STATIC ${ARG_SOURCES})
  target_include_directories(${name} PUBLIC ${PROJECT_SOURCE_DIR})
  target_link_libraries(${name} PUBLIC ${ARG_PUBLIC} PRIVATE qsanfwd_options ${ARG_PRIVATE})
endfunction()
