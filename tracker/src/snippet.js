// The copy-paste loader. Until tracker.js arrives, window.tracker is an array and each method
// pushes [method, ...args] (with the call time) for the real script to replay in order.
!function (w, d, src, writeKey, options) {
  var t = (w.tracker = w.tracker || []);
  if (t.initialized || t.invoked) return;
  t.invoked = 1;
  ['load', 'track', 'identify', 'page', 'group', 'alias', 'reset', 'flush'].forEach(function (m) {
    t[m] = function () {
      var call = [].slice.call(arguments);
      call.unshift(m);
      call.t = +new Date();
      t.push(call);
      return t;
    };
  });
  var s = d.createElement('script');
  s.async = 1;
  s.src = src;
  var first = d.getElementsByTagName('script')[0];
  first.parentNode.insertBefore(s, first);
  t.load(writeKey, options);
}(window, document, 'https://YOUR_API_HOST/tracker.js', 'YOUR_WRITE_KEY', {});
