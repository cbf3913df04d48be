// printstr ADDRESS: prints the std::string that lives at ADDRESS (as allocstr printed it).
// Run directly, that address means nothing in this fresh process; run in the same space as
// allocstr, it is the very object allocstr made. A plain program: it knows nothing of tproc.

#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <string>

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: printstr ADDRESS\n";
    return 2;
  }
  char* end = nullptr;
  const std::uintptr_t address = std::strtoull(argv[1], &end, 16);
  if (end == argv[1] || *end != '\0' || address == 0) {
    std::cerr << "printstr: not an address: " << argv[1] << "\n";
    return 2;
  }
  const auto* text = reinterpret_cast<const std::string*>(address);
  std::cout << *text << std::endl;
  return 0;
}
