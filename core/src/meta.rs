//! [`Meta`]: what a key, tag, prefix or timeout function sees of a call.

use std::any::Any;

/// One argument of a call, by name. `value` is `None` for arguments whose type is not
/// `'static` (references, generic parameters): those are not readable through `Meta`.
///
/// ```
/// use easy_cache_core::__private::MetaArg;
/// let id = 7u64;
/// let arg = MetaArg::new("id", Some(&id));
/// assert_eq!((arg.name(), arg.get::<u64>()), ("id", Some(&7)));
/// assert_eq!(arg.get::<u32>(), None); // another type
/// ```
#[derive(Clone, Copy)]
pub struct MetaArg<'a> {
    name: &'static str,
    value: Option<&'a dyn Any>,
}

impl<'a> MetaArg<'a> {
    /// An argument named `name`.
    ///
    /// ```
    /// use easy_cache_core::__private::MetaArg;
    /// let lang = String::from("en");
    /// let readable = MetaArg::new("lang", Some(&lang));
    /// let unreadable = MetaArg::new("name", None); // e.g. a `&str` parameter
    /// assert_eq!(readable.get::<String>().map(String::as_str), Some("en"));
    /// assert_eq!(format!("{unreadable:?}"), "name (not readable)");
    /// ```
    pub fn new(name: &'static str, value: Option<&'a dyn Any>) -> Self {
        MetaArg { name, value }
    }

    /// The parameter's name.
    ///
    /// ```
    /// use easy_cache_core::__private::MetaArg;
    /// assert_eq!(MetaArg::new("user_id", None).name(), "user_id");
    /// ```
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// The argument as `T`, if it has that type and is readable.
    ///
    /// ```
    /// use easy_cache_core::__private::MetaArg;
    /// let title = String::from("Dune");
    /// let arg = MetaArg::new("title", Some(&title));
    /// assert_eq!(arg.get::<String>().map(String::as_str), Some("Dune"));
    /// assert_eq!(arg.get::<&str>(), None); // the exact type only
    /// assert_eq!(MetaArg::new("r", None).get::<String>(), None);
    /// ```
    pub fn get<T: 'static>(&self) -> Option<&'a T> {
        self.value?.downcast_ref()
    }
}

impl std::fmt::Debug for MetaArg<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}{}",
            self.name,
            if self.value.is_some() {
                ""
            } else {
                " (not readable)"
            }
        )
    }
}

/// What a function given to `#[ecached]` as `key`, `tags`, `prefix` or `timeout` sees of a
/// call (the seed's `MetaCallable`).
///
/// Before the call it carries the arguments by name and the scope (`self` for methods).
/// A `tags` function is called a second time after the call with the returned value (the
/// cached value: the `Ok` of a `Result`), when the arguments have moved into the function
/// body and are no longer available.
///
/// ```
/// use easy_cache_core::{Meta, __private::MetaArg};
/// let id = 7u64;
/// let args = [MetaArg::new("id", Some(&id))];
/// let meta = Meta::before_call("app::load_user", &args, None);
/// assert_eq!(meta.arg::<u64>("id"), Some(&7));
/// assert!(!meta.has_returned_value());
///
/// let books = vec!["Dune".to_string()];
/// let after = Meta::after_call("app::load_user", &books);
/// assert_eq!(after.returned_value::<Vec<String>>().map(Vec::len), Some(1));
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Meta<'a> {
    function: &'static str,
    args: &'a [MetaArg<'a>],
    scope: Option<&'a dyn Any>,
    returned: Option<&'a dyn Any>,
}

impl<'a> Meta<'a> {
    /// The view before the call: arguments and scope.
    ///
    /// ```
    /// use easy_cache_core::{Meta, __private::MetaArg};
    /// let (id, lang) = (7u64, String::from("en"));
    /// let args = [MetaArg::new("id", Some(&id)), MetaArg::new("lang", Some(&lang))];
    /// let meta = Meta::before_call("app::load_user", &args, None);
    /// assert_eq!(meta.arg::<String>("lang").map(String::as_str), Some("en"));
    /// assert!(!meta.has_returned_value());
    /// ```
    pub fn before_call(
        function: &'static str,
        args: &'a [MetaArg<'a>],
        scope: Option<&'a dyn Any>,
    ) -> Self {
        Meta {
            function,
            args,
            scope,
            returned: None,
        }
    }

    /// The view after the call: the returned (cached) value.
    ///
    /// ```
    /// use easy_cache_core::Meta;
    /// let books = vec![3u64, 5];
    /// let meta = Meta::after_call("app::user_books", &books);
    /// let ids = meta.returned_value::<Vec<u64>>().unwrap();
    /// let tags: Vec<String> = ids.iter().map(|b| format!("book:{b}")).collect();
    /// assert_eq!(tags, ["book:3", "book:5"]);
    /// assert!(meta.args().is_empty()); // the arguments are gone after the call
    /// ```
    pub fn after_call(function: &'static str, returned: &'a dyn Any) -> Self {
        Meta {
            function,
            args: &[],
            scope: None,
            returned: Some(returned),
        }
    }

    /// The decorated function's path, e.g. `my_app::users::load_user`.
    ///
    /// ```
    /// use easy_cache_core::Meta;
    /// let meta = Meta::before_call("my_app::users::load_user", &[], None);
    /// assert_eq!(meta.function_name().rsplit("::").next(), Some("load_user"));
    /// ```
    pub fn function_name(&self) -> &'static str {
        self.function
    }

    /// The argument named `name` as `T` (`None` if absent, of another type, or unreadable).
    ///
    /// ```
    /// use easy_cache_core::{Meta, __private::MetaArg};
    /// let id = 7u64;
    /// let args = [MetaArg::new("id", Some(&id))];
    /// let meta = Meta::before_call("app::load_user", &args, None);
    /// assert_eq!(meta.arg::<u64>("id"), Some(&7));
    /// assert_eq!(meta.arg::<i32>("id"), None); // another type
    /// assert_eq!(meta.arg::<u64>("user"), None); // no such argument
    /// ```
    pub fn arg<T: 'static>(&self, name: &str) -> Option<&'a T> {
        self.args.iter().find(|a| a.name == name)?.get()
    }

    /// The arguments in declaration order (the seed's `args`/`call_args`).
    ///
    /// ```
    /// use easy_cache_core::{Meta, __private::MetaArg};
    /// let (a, b) = (1u8, 2u8);
    /// let args = [MetaArg::new("a", Some(&a)), MetaArg::new("b", Some(&b))];
    /// let meta = Meta::before_call("f", &args, None);
    /// let names: Vec<_> = meta.args().iter().map(|arg| arg.name()).collect();
    /// assert_eq!(names, ["a", "b"]);
    /// ```
    pub fn args(&self) -> &'a [MetaArg<'a>] {
        self.args
    }

    /// `self` of a method, as `T`.
    ///
    /// ```
    /// use easy_cache_core::Meta;
    /// struct Shop { id: u32 }
    /// let shop = Shop { id: 1 };
    /// let meta = Meta::before_call("app::Shop::stock", &[], Some(&shop));
    /// assert_eq!(meta.scope::<Shop>().map(|s| s.id), Some(1));
    /// assert!(meta.scope::<u32>().is_none());
    /// ```
    pub fn scope<T: 'static>(&self) -> Option<&'a T> {
        self.scope?.downcast_ref()
    }

    /// Whether this view carries the returned value (only after the call).
    ///
    /// ```
    /// use easy_cache_core::Meta;
    /// let value = 42u32;
    /// assert!(Meta::after_call("f", &value).has_returned_value());
    /// assert!(!Meta::before_call("f", &[], None).has_returned_value());
    /// ```
    pub fn has_returned_value(&self) -> bool {
        self.returned.is_some()
    }

    /// The returned value as `T`.
    ///
    /// ```
    /// use easy_cache_core::Meta;
    /// let value: Vec<u64> = vec![3, 5];
    /// let meta = Meta::after_call("f", &value);
    /// assert_eq!(meta.returned_value::<Vec<u64>>().map(Vec::len), Some(2));
    /// assert_eq!(meta.returned_value::<Option<u64>>(), None); // another type
    /// ```
    pub fn returned_value<T: 'static>(&self) -> Option<&'a T> {
        self.returned?.downcast_ref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_access_checks_types_and_names() {
        let a = 1u32;
        let s = String::from("x");
        let args = [
            MetaArg::new("a", Some(&a)),
            MetaArg::new("s", Some(&s)),
            MetaArg::new("r", None),
        ];
        let scope = 5i64;
        let meta = Meta::before_call("f", &args, Some(&scope));
        assert_eq!(meta.arg::<u32>("a"), Some(&1));
        assert_eq!(meta.arg::<u64>("a"), None);
        assert_eq!(meta.arg::<String>("s").map(String::as_str), Some("x"));
        assert_eq!(meta.arg::<u32>("r"), None);
        assert_eq!(meta.arg::<u32>("nope"), None);
        assert_eq!(meta.scope::<i64>(), Some(&5));
        assert_eq!(meta.args().len(), 3);
        assert_eq!(meta.function_name(), "f");
        assert_eq!(meta.returned_value::<u32>(), None);
    }
}
