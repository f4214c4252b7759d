/* keeps the support library non-empty */
typedef int hota_test_support_unused;
