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
