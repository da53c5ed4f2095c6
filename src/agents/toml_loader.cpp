// toml11 -> objects. Each object is turned into the API's JSON and read by the same codec, so the
// file and the API accept exactly the same things; errors are mapped back to the TOML line.
#include "duet/agents/toml_loader.hpp"

#include <map>
#include <sstream>
#include <toml.hpp>

#include "duet/agents/json_codec.hpp"

namespace duet::agents {

namespace {

struct Section {
  const char* name;
  Kind kind;
};
constexpr Section kSections[] = {
    {"dns", Kind::dn}, {"places", Kind::place}, {"users", Kind::user}, {"agent_logins", Kind::login}};

// Where an object came from, to point at its line in messages.
struct Origin {
  std::string path;  // "agent_logins[3]"
  toml::value table;
};

nlohmann::json to_json_value(const toml::value& v) {
  if (v.is_string()) return v.as_string().str;
  if (v.is_integer()) return v.as_integer();
  if (v.is_boolean()) return v.as_boolean();
  if (v.is_floating()) return v.as_floating();
  if (v.is_array()) {
    auto a = nlohmann::json::array();
    for (const auto& e : v.as_array()) a.push_back(to_json_value(e));
    return a;
  }
  if (v.is_table()) {
    auto o = nlohmann::json::object();
    for (const auto& [k, e] : v.as_table()) o[k] = to_json_value(e);
    return o;
  }
  return "(" + [&] {
    std::ostringstream s;
    s << v.type();
    return s.str();
  }() + ")";
}

class Loader {
 public:
  Loader(ConfigModel& model, std::string name) : model_(model), name_(std::move(name)) {}

  void run(const toml::value& root) {
    if (!root.is_table()) throw LoadError(name_ + ": not a TOML table");
    for (const auto& s : kSections) read_section(root, s);
    if (!problems_.empty()) throw LoadError(problems_);
    for (const auto& [key, err] : model_.check_all()) {
      const auto it = origins_.find(key);
      if (it == origins_.end()) {
        add(name_ + ": " + key + ": " + err.message);
      } else {
        report(it->second, err);
      }
    }
    if (!problems_.empty()) throw LoadError(problems_);
  }

 private:
  void read_section(const toml::value& root, const Section& s) {
    const auto& t = root.as_table();
    const auto it = t.find(s.name);
    if (it == t.end()) return;
    const auto& v = it->second;
    if (!v.is_array()) {
      at(v, s.name, std::string("expected an array of tables [[") + s.name + "]]");
      return;
    }
    const auto& arr = v.as_array();
    for (std::size_t i = 0; i < arr.size(); ++i) {
      Origin o{std::string(s.name) + "[" + std::to_string(i) + "]", arr[i]};
      if (!arr[i].is_table()) {
        at(arr[i], o.path, std::string("expected a table [[") + s.name + "]]");
        continue;
      }
      auto parsed = from_json(s.kind, to_json_value(arr[i]));
      if (auto* err = std::get_if<Error>(&parsed)) {
        report(o, *err);
        continue;
      }
      auto& obj = std::get<Object>(parsed);
      const std::string key = record_key(s.kind, id_of(obj));
      if (auto err = model_.insert_loaded(std::move(obj))) {
        const auto first = origins_.find(key);
        err->message +=
            first == origins_.end()
                ? std::string()
                : " (first at line " + std::to_string(first->second.table.location().line()) + ")";
        err->field = s.kind == Kind::dn      ? "number"
                     : s.kind == Kind::place ? "name"
                     : s.kind == Kind::user  ? "id"
                                             : "code";
        report(o, *err);
        continue;
      }
      origins_.emplace(key, std::move(o));
    }
  }

  // The line of the field when the table has it (the array index stripped: "dns[1]" -> "dns").
  void report(const Origin& o, const Error& err) {
    const auto& tab = o.table.as_table();
    const std::string base = err.field.substr(0, err.field.find('['));
    const auto it = base.empty() ? tab.end() : tab.find(base);
    const toml::value& where = it == tab.end() ? o.table : it->second;
    at(where, err.field.empty() ? o.path : o.path + "." + err.field, err.message);
  }

  void at(const toml::value& v, const std::string& key, const std::string& what) {
    add(name_ + ":" + std::to_string(v.location().line()) + ": key '" + key + "': " + what);
  }

  void add(const std::string& line) {
    if (!problems_.empty()) problems_ += '\n';
    problems_ += line;
  }

  ConfigModel& model_;
  std::string name_;
  std::map<std::string, Origin> origins_;
  std::string problems_;
};

}  // namespace

void parse_agents_toml(ConfigModel& model, std::string_view text, const std::string& name) {
  std::istringstream in{std::string(text)};
  toml::value root;
  try {
    root = toml::parse(in, name);
  } catch (const toml::syntax_error& e) {
    throw LoadError(name + ":" + std::to_string(e.location().line()) + ": TOML syntax error:\n" + e.what());
  }
  Loader(model, name).run(root);
}

void load_agents_file(ConfigModel& model, const std::string& path) {
  toml::value root;
  try {
    root = toml::parse(path);
  } catch (const toml::syntax_error& e) {
    throw LoadError(path + ":" + std::to_string(e.location().line()) + ": TOML syntax error:\n" + e.what());
  } catch (const std::runtime_error& e) {
    throw LoadError(path + ": " + e.what());
  }
  Loader(model, path).run(root);
}

}  // namespace duet::agents
