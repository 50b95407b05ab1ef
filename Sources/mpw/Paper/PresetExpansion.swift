import ArgumentParser
import Training

/// `--preset NAME` written out: the preset's flags go in front of the user's, so every flag the
/// user gives overrides the preset's (the argument parser keeps the last value of a repeated
/// option, and `--no-nesterov`/`--no-cutmix` undo the preset's switches). `--preset NAME` itself
/// stays, so the run's configuration records it.
enum PresetExpansion {
    static func unknown(_ name: String) -> String {
        "--preset \(name) is not a paper preset; `mpw presets` lists them"
    }

    /// `mpw`'s own arguments with the train command's preset expanded; other commands unchanged.
    static func expandTrainCommand(_ arguments: [String]) throws -> [String] {
        guard arguments.first == "train" else { return arguments }
        return ["train"] + (try expand(Array(arguments.dropFirst())))
    }

    /// Train-command arguments with their preset's settings in front.
    static func expand(_ arguments: [String]) throws -> [String] {
        var names: [String] = []
        for (index, argument) in arguments.enumerated() {
            if argument == "--" { break }
            if argument == "--preset" {
                guard index + 1 < arguments.count else { throw ValidationError("--preset needs a name; `mpw presets` lists them") }
                names.append(arguments[index + 1])
            } else if argument.hasPrefix("--preset=") {
                names.append(String(argument.dropFirst("--preset=".count)))
            }
        }
        guard let name = names.first else { return arguments }
        guard names.count == 1 else { throw ValidationError("--preset given \(names.count) times; choose one") }
        guard let preset = PaperPresets.named(name) else { throw ValidationError(unknown(name)) }
        if arguments.contains("--resume") { throw ValidationError("--preset cannot be combined with --resume: a resumed run keeps its own settings") }
        return preset.arguments + arguments
    }
}
