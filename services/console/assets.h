// The console's static files, compiled into ledgerd (services/console/CMakeLists.txt
// generates the table from services/console/assets/ at build time), so the console needs
// nothing from outside the binary at run time.
#ifndef SIXHEARTS_SERVICES_CONSOLE_ASSETS_H_
#define SIXHEARTS_SERVICES_CONSOLE_ASSETS_H_

#include <cstddef>
#include <string_view>

namespace sixhearts::services::console {

struct Asset {
  // The URL path, "/console.js"; "/index.html" is also served as "/".
  std::string_view path;
  std::string_view content_type;
  std::string_view content;
};

// The asset served at `path`, or nullptr.
const Asset* FindAsset(std::string_view path);

}  // namespace sixhearts::services::console

#endif  // SIXHEARTS_SERVICES_CONSOLE_ASSETS_H_
