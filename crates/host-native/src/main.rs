//! The `wasmpod` command line. Subcommands live in their own modules; this
//! file only dispatches.

mod image;
mod run;

const USAGE: &str = "usage: wasmpod <command> [args]

commands:
  run      run a program in a new pod (wasmpod run --help)
  image    build and inspect ext2 images (wasmpod image --help)
  serve    serve the web bundle and images over HTTP (wasmpod serve --help)";

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let code = match args.first().map(String::as_str) {
        Some("image") => image::main(&args[1..]),
        Some("run") => run::main(&args[1..]),
        Some("serve") => wasmpod_host_native::serve::main(&args[1..]),
        Some("-h" | "--help") => {
            println!("{USAGE}");
            0
        }
        Some(other) => {
            eprintln!("wasmpod: unknown command '{other}'\n{USAGE}");
            2
        }
        None => {
            eprintln!("{USAGE}");
            2
        }
    };
    std::process::exit(code);
}
