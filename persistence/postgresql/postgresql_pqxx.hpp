// libpqxx 6.4 as the PostgreSQL store includes it. Debian's build leaves PQXX_HAVE_OPTIONAL
// undefined although the feature is header-only (TECH-GUIDE §6), so it is defined here, once,
// before any pqxx header.
#pragma once

#ifndef PQXX_HAVE_OPTIONAL
#define PQXX_HAVE_OPTIONAL 1
#endif
#include <pqxx/pqxx>
