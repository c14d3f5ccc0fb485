#include <cstdio>
int main() { std::puts("iotwatch: under construction"); return 0; }
