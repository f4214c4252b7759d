# Sanitizer and fuzzing instrumentation for everything built after this file is included
# (libraries, CLI, tests, fuzz targets). llhttp and the project's own code alike.
#
#  HOTA_SANITIZE=ON  AddressSanitizer (with LeakSanitizer) + UndefinedBehaviorSanitizer, any
#                    undefined behaviour aborts the program (-fno-sanitize-recover). gcc or clang.
#  HOTA_FUZZ=ON      clang only: the same sanitizers plus libFuzzer's coverage instrumentation
#                    (-fsanitize=fuzzer-no-link) for the libraries; the targets in fuzz/ link
#                    libFuzzer's main with -fsanitize=fuzzer.

set(HOTA_SAN_FLAGS -fsanitize=address,undefined -fno-sanitize-recover=all
    -fno-omit-frame-pointer -g)

if(HOTA_FUZZ)
  if(NOT CMAKE_C_COMPILER_ID MATCHES "Clang")
    message(FATAL_ERROR "HOTA_FUZZ needs clang (configure with CC=clang)")
  endif()
  add_compile_options(${HOTA_SAN_FLAGS} -fsanitize=fuzzer-no-link)
  add_link_options(-fsanitize=address,undefined)
elseif(HOTA_SANITIZE)
  add_compile_options(${HOTA_SAN_FLAGS})
  add_link_options(-fsanitize=address,undefined)
endif()
