# One static library per top-level folder; sources are every .cpp below it, so adding a file
# needs no CMake edit. Headers are included as "folder/file.hpp" from the project root.
function(ledgerflow_library name folder)
  file(GLOB_RECURSE sources CONFIGURE_DEPENDS "${PROJECT_SOURCE_DIR}/${folder}/*.cpp")
  if(sources)
    add_library(${name} STATIC ${sources})
    target_include_directories(${name} PUBLIC "${PROJECT_SOURCE_DIR}")
    target_link_libraries(${name} PUBLIC ${ARGN})
  else()
    add_library(${name} INTERFACE)
    target_include_directories(${name} INTERFACE "${PROJECT_SOURCE_DIR}")
    target_link_libraries(${name} INTERFACE ${ARGN})
  endif()
endfunction()

# One doctest binary per tests/ subfolder (tests mirror the source tree); each TEST_CASE
# becomes a ctest entry. Every binary gets the shared doctest main; SUPPORT names further
# files of tests/support/ a binary needs (fakes, clients), so a layer's tests link only it.
# EXCLUDE names subfolders that make a binary of their own; PROPERTIES are set on every test
# discovered (e.g. FIXTURES_REQUIRED for tests that need a server).
function(ledgerflow_test name folder)
  cmake_parse_arguments(PARSE_ARGV 2 test "" "" "SUPPORT;LIBRARIES;EXCLUDE;PROPERTIES")
  file(GLOB_RECURSE sources CONFIGURE_DEPENDS "${PROJECT_SOURCE_DIR}/tests/${folder}/*.cpp")
  foreach(subfolder ${test_EXCLUDE})
    list(FILTER sources EXCLUDE REGEX "^${PROJECT_SOURCE_DIR}/tests/${folder}/${subfolder}/")
  endforeach()
  set(support "${PROJECT_SOURCE_DIR}/tests/support/doctest_main.cpp")
  foreach(file ${test_SUPPORT})
    list(APPEND support "${PROJECT_SOURCE_DIR}/tests/support/${file}")
  endforeach()
  add_executable(${name} ${sources} ${support})
  target_include_directories(${name} PRIVATE "${PROJECT_SOURCE_DIR}")
  target_link_libraries(${name} PRIVATE doctest::doctest ${test_LIBRARIES})
  if(test_PROPERTIES)
    doctest_discover_tests(${name} WORKING_DIRECTORY "${CMAKE_BINARY_DIR}" PROPERTIES ${test_PROPERTIES})
  else()
    doctest_discover_tests(${name} WORKING_DIRECTORY "${CMAKE_BINARY_DIR}")
  endif()
endfunction()
