/// The `perimeter` command line: parses the arguments and runs a command.
public enum PerimeterCommandLine {
    public static func main() {
        print("perimeter: under construction")
    }
}
