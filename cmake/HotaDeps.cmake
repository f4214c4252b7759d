# mbedTLS 2.28 (Debian libmbedtls-dev) ships no CMake package: find it by hand.
find_path(MBEDTLS_INCLUDE_DIR mbedtls/ssl.h REQUIRED)
find_library(MBEDTLS_LIB mbedtls REQUIRED)
find_library(MBEDX509_LIB mbedx509 REQUIRED)
find_library(MBEDCRYPTO_LIB mbedcrypto REQUIRED)
add_library(hota_mbedtls INTERFACE)
target_include_directories(hota_mbedtls INTERFACE ${MBEDTLS_INCLUDE_DIR})
target_link_libraries(hota_mbedtls INTERFACE ${MBEDTLS_LIB} ${MBEDX509_LIB} ${MBEDCRYPTO_LIB})

# llhttp 8.1: compiled into the library from Debian's node-llhttp sources.
if(NOT EXISTS "${HOTA_LLHTTP_DIR}/llhttp.c" OR NOT EXISTS "${HOTA_LLHTTP_INCLUDE}/llhttp.h")
  message(FATAL_ERROR "llhttp sources not found in ${HOTA_LLHTTP_DIR} (install node-llhttp)")
endif()
add_library(hota_llhttp OBJECT
  ${HOTA_LLHTTP_DIR}/llhttp.c ${HOTA_LLHTTP_DIR}/api.c ${HOTA_LLHTTP_DIR}/http.c)
target_include_directories(hota_llhttp PUBLIC ${HOTA_LLHTTP_INCLUDE})
target_compile_options(hota_llhttp PRIVATE -w)

# TLS backend of the transport filter, chosen at build time. mbedTLS (the default) stays the
# library of every other layer's crypto; openssl only replaces the TLS filter (Linux hosts).
set(HOTA_TLS_BACKEND "mbedtls" CACHE STRING "TLS library of the transport filter: mbedtls or openssl")
set_property(CACHE HOTA_TLS_BACKEND PROPERTY STRINGS mbedtls openssl)
if(HOTA_TLS_BACKEND STREQUAL "openssl")
  find_package(OpenSSL 3.0 REQUIRED)
  target_link_libraries(hota_mbedtls INTERFACE OpenSSL::SSL OpenSSL::Crypto)
  set(HOTA_TLS_OPENSSL 1)
  set(HOTA_TLS_MBEDTLS 0)
elseif(HOTA_TLS_BACKEND STREQUAL "mbedtls")
  set(HOTA_TLS_OPENSSL 0)
  set(HOTA_TLS_MBEDTLS 1)
else()
  message(FATAL_ERROR "HOTA_TLS_BACKEND must be mbedtls or openssl, not '${HOTA_TLS_BACKEND}'")
endif()
message(STATUS "hota TLS backend: ${HOTA_TLS_BACKEND}")
# What a static link of libhota needs besides itself (hota.pc's Libs.private).
set(HOTA_PC_LIBS_PRIVATE "-lmbedtls -lmbedx509 -lmbedcrypto")
if(HOTA_TLS_BACKEND STREQUAL "openssl")
  string(APPEND HOTA_PC_LIBS_PRIVATE " -lssl -lcrypto")
endif()

# include/hota/config.h records the choice for the public headers (tls.h); it is generated into
# the build tree, reached through hota_mbedtls (linked by every layer and by libhota), and
# installed next to the other headers.
configure_file(${CMAKE_CURRENT_LIST_DIR}/config.h.in ${CMAKE_BINARY_DIR}/include/hota/config.h @ONLY)
target_include_directories(hota_mbedtls INTERFACE $<BUILD_INTERFACE:${CMAKE_BINARY_DIR}/include>)
install(FILES ${CMAKE_BINARY_DIR}/include/hota/config.h DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/hota)
