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
# becomes a ctest entry. tests/support/*.cpp is linked into every test binary.
function(ledgerflow_test name folder)
  file(GLOB_RECURSE sources CONFIGURE_DEPENDS "${PROJECT_SOURCE_DIR}/tests/${folder}/*.cpp")
  file(GLOB_RECURSE support CONFIGURE_DEPENDS "${PROJECT_SOURCE_DIR}/tests/support/*.cpp")
  add_executable(${name} ${sources} ${support})
  target_include_directories(${name} PRIVATE "${PROJECT_SOURCE_DIR}")
  target_link_libraries(${name} PRIVATE doctest::doctest ${ARGN})
  doctest_discover_tests(${name} WORKING_DIRECTORY "${CMAKE_BINARY_DIR}"
                         PROPERTIES ENVIRONMENT "LEDGERFLOW_BINARY=$<TARGET_FILE:ledgerflow>")
endfunction()
