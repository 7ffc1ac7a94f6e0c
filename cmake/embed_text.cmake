# cmake -DINPUT=file -DOUTPUT=file.cpp -DNAME=ns::name -P embed_text.cmake
# Writes OUTPUT, a C++ file defining `const std::string_view NAME` with the bytes of INPUT: a
# file of the tree (the status page) built into the program at build time, nothing downloaded.
# Every byte is written as \xNN, so the file's content never needs escaping.
file(READ "${INPUT}" hex HEX)
string(LENGTH "${hex}" digits)
math(EXPR size "${digits} / 2")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "\\\\x\\1" escaped "${hex}")
# 8 bytes (32 characters) to a line: adjacent literals are one string.
string(REGEX REPLACE "((\\\\x[0-9a-f][0-9a-f])(\\\\x[0-9a-f][0-9a-f])(\\\\x[0-9a-f][0-9a-f])(\\\\x[0-9a-f][0-9a-f])(\\\\x[0-9a-f][0-9a-f])(\\\\x[0-9a-f][0-9a-f])(\\\\x[0-9a-f][0-9a-f])(\\\\x[0-9a-f][0-9a-f]))" "\\1\"\n    \"" lines "${escaped}")
string(REGEX MATCH "^(.*)::([^:]+)$" whole "${NAME}")
set(namespace "${CMAKE_MATCH_1}")
set(variable "${CMAKE_MATCH_2}")
file(WRITE "${OUTPUT}.tmp"
  "// Generated from ${INPUT} by cmake/embed_text.cmake; do not edit.\n"
  "#include <string_view>\n\n"
  "namespace ${namespace} {\n"
  "namespace {\n"
  "constexpr char ${variable}_bytes[] =\n    \"${lines}\";\n"
  "}  // namespace\n"
  "extern const std::string_view ${variable};\n"
  "const std::string_view ${variable}(${variable}_bytes, ${size});\n"
  "}  // namespace ${namespace}\n")
# Only a changed file is replaced, so that an unchanged page rebuilds nothing.
file(COPY_FILE "${OUTPUT}.tmp" "${OUTPUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${OUTPUT}.tmp")
