/** @file version.h @brief hota's version. */
#ifndef HOTA_VERSION_H
#define HOTA_VERSION_H
#define HOTA_VERSION_STRING "0.1.0"
#endif
