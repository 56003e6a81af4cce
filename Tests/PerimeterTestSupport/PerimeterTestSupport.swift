public enum PerimeterTestSupport {}

