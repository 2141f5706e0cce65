// Reading Prometheus text exposition for the ops tests: every sample as
// `name{label="value",...}` (labels sorted by name, as node_exporter prints them) -> value.
#pragma once

#include <algorithm>
#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace layergc::testing {

inline std::map<std::string, double> parse_prom_text(const std::string& text) {
    std::map<std::string, double> out;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
        if (line.empty() || line[0] == '#') continue;
        std::string name, value;
        std::vector<std::string> labels;
        const auto brace = line.find('{');
        size_t rest = 0;
        if (brace != std::string::npos && brace < line.find(' ')) {
            name = line.substr(0, brace);
            size_t i = brace + 1;
            while (i < line.size() && line[i] != '}') {
                const auto eq = line.find('=', i);
                std::string label = line.substr(i, eq - i) + "=\"";
                size_t j = eq + 2;  // after ="
                for (; j < line.size() && line[j] != '"'; ++j) {
                    if (line[j] == '\\' && j + 1 < line.size()) label += line[j++];
                    label += line[j];
                }
                labels.push_back(label + "\"");
                i = j + 1;
                if (i < line.size() && line[i] == ',') ++i;
            }
            rest = i + 1;
        } else {
            name = line.substr(0, line.find(' '));
            rest = name.size();
        }
        std::istringstream vs(line.substr(rest));
        vs >> value;
        std::sort(labels.begin(), labels.end());
        std::string key = name;
        if (!labels.empty()) {
            key += "{";
            for (size_t k = 0; k < labels.size(); ++k) key += (k ? "," : "") + labels[k];
            key += "}";
        }
        out[key] = std::stod(value);
    }
    return out;
}

}  // namespace layergc::testing
