# Sanitizer and fuzzing instrumentation for everything built after this file is included
# (libraries, CLI, tests, fuzz targets). llhttp and the project's own code alike.
#
#  HOTA_SANITIZE=ON  AddressSanitizer (with LeakSanitizer) + UndefinedBehaviorSanitizer, any
#                    undefined behaviour aborts the program (-fno-sanitize-recover). gcc or clang.
#  HOTA_FUZZ=ON      clang only: the same sanitizers plus libFuzzer's coverage instrumentation
#                    (-fsanitize=fuzzer-no-link) for the libraries; the targets in fuzz/ link
#                    libFuzzer's main with -fsanitize=fuzzer.
option(HOTA_SANITIZE "Build everything with AddressSanitizer and UndefinedBehaviorSanitizer" OFF)
option(HOTA_FUZZ "Build the libFuzzer targets in fuzz/ (clang, implies the sanitizers)" OFF)

set(HOTA_SAN_FLAGS -fsanitize=address,undefined -fno-sanitize-recover=all
    -fno-omit-frame-pointer -g)

if(HOTA_FUZZ)
  if(NOT CMAKE_C_COMPILER_ID MATCHES "Clang")
    message(FATAL_ERROR "HOTA_FUZZ needs clang (configure with CC=clang)")
  endif()
  add_compile_options(${HOTA_SAN_FLAGS} -fsanitize=fuzzer-no-link)
  add_link_options(-fsanitize=address,undefined)
  add_compile_definitions(HOTA_FUZZING=1)
elseif(HOTA_SANITIZE)
  add_compile_options(${HOTA_SAN_FLAGS})
  add_link_options(-fsanitize=address,undefined)
endif()

if(HOTA_FUZZ OR HOTA_SANITIZE)
  # Shared with the tests' environment: report every leak and UB as a failure.
  set(HOTA_SAN_ENV
    "ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:strict_string_checks=1:detect_stack_use_after_return=1"
    "UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1")
else()
  set(HOTA_SAN_ENV "")
endif()
