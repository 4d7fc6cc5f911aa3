fn main() -> std::process::ExitCode {
    zoufang::cli::run()
}
