# Imported targets for the Debian packages listed in DESIGN.md (see TECH-GUIDE.md section 1).
find_package(Threads REQUIRED)
find_package(OpenSSL REQUIRED)
find_package(SQLite3 REQUIRED)
find_package(Boost 1.74 REQUIRED CONFIG COMPONENTS system)
find_package(msgpack 4.1 CONFIG REQUIRED)          # target msgpackc-cxx
find_package(doctest CONFIG REQUIRED)
find_package(nlohmann_json CONFIG REQUIRED)
find_package(spdlog CONFIG REQUIRED)
find_package(CLI11 CONFIG REQUIRED)
find_package(PkgConfig REQUIRED)
pkg_check_modules(PQXX REQUIRED IMPORTED_TARGET libpqxx)
pkg_check_modules(TOMLPP REQUIRED IMPORTED_TARGET tomlplusplus)
# jemalloc for the binary: messages are allocated on one thread and freed on another, which
# makes glibc malloc contend on arena locks (bench ledger: ~30k -> ~46k transfers/s).
pkg_check_modules(JEMALLOC REQUIRED IMPORTED_TARGET jemalloc)

# CAF 0.17.6 ships no CMake config; define the imported targets by hand.
find_path(CAF_INCLUDE_DIR caf/all.hpp REQUIRED)
foreach(component core io openssl)
  find_library(CAF_${component}_LIBRARY caf_${component} REQUIRED)
  add_library(CAF::${component} SHARED IMPORTED)
  set_target_properties(CAF::${component} PROPERTIES
    IMPORTED_LOCATION "${CAF_${component}_LIBRARY}"
    INTERFACE_INCLUDE_DIRECTORIES "${CAF_INCLUDE_DIR}")
endforeach()
target_link_libraries(CAF::core INTERFACE Threads::Threads)
target_link_libraries(CAF::io INTERFACE CAF::core)
target_link_libraries(CAF::openssl INTERFACE CAF::io OpenSSL::SSL)
